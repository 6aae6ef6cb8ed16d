/**
 * Faults with real parts: a redis-server, three `r1ts worker` processes, signals. A worker killed with
 * SIGKILL mid-job; a worker frozen (SIGSTOP) until its job ran elsewhere, then woken; Redis restarted
 * empty mid-step; Redis gone for longer than the trainer waits, then the run resumed from its checkpoint.
 * Each time the run finishes with every job counted once: the metrics of the local engine.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "@r1ts/core";
import { DirectoryWeightStore, QueueRolloutEngine, QueueUnavailableError, RedisWeightStore, type WeightStore } from "../src/index.ts";
import { type RedisServer, type WorkerProcess, startRedisServer, startWorkerProcess } from "../src/testing/index.ts";
import { tokenizer, toyModel, toyTrainer, withoutTimes } from "./helpers.ts";

const STEPS = 3;
const QUEUE = "faults";
let redis: RedisServer;
let dir: string;
let expected: Record<string, number>[];
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  await setBackend("reference");
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), "r1ts-faults-"));
  // Every job waits >= 4 x 60 ms (simulated slow generation); a dead worker's lock expires after 800 ms.
  const args = ["--queue", QUEUE, "--token-delay-ms", "60", "--lock-ms", "800", "--stalled-ms", "250"];
  workers = await Promise.all(["wa", "wb", "wc"].map((name) => startWorkerProcess(name, redis.url, args)));
  const local = toyTrainer({ steps: STEPS });
  expected = withoutTimes(await local.trainer.train());
  local.trainer.dispose();
  local.model.dispose();
}, 120_000);
afterAll(async () => {
  for (const w of workers) await w.kill();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Freezes `w` (SIGSTOP) in the middle of a job matching `job` (a pattern of job ids) and returns the job's
 * id: on each such job it starts, stop it, let the pipe drain, and keep it stopped unless the job had
 * already finished (the test read the line late), in which case wake it and wait for the next one.
 */
async function freezeMidJob(w: WorkerProcess, job: RegExp): Promise<string> {
  for (let seen = 0; ; ) {
    const started = w.lines.filter((l) => job.test(l) && / started:/.test(l));
    if (started.length <= seen) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    const id = /job (\S+) started/.exec(started[seen++])![1];
    w.proc.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 100));
    if (!w.lines.some((l) => l.includes(`job ${id} done`))) return id;
    w.proc.kill("SIGCONT");
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function queuedRun(run: string, log: string[], options: { weights?: WeightStore; redisTimeoutSeconds?: number; checkpoints?: string } = {}) {
  const model = toyModel();
  const engine = await QueueRolloutEngine.connect({
    redis: redis.url, queue: QUEUE, run, policy: model, tokenizer, weights: options.weights ?? new DirectoryWeightStore(join(dir, run)),
    redisTimeoutSeconds: options.redisTimeoutSeconds ?? 20, log: (l) => log.push(l),
  });
  const { trainer } = toyTrainer({ steps: STEPS }, model, engine);
  if (options.checkpoints) {
    const root = options.checkpoints;
    trainer.hooks.afterStep.tapPromise("checkpoint", async ({ step }) => {
      trainer.step = step + 1;
      await trainer.save(join(root, `step-${step + 1}`), {});
      trainer.step = step;
    });
  }
  const close = async () => {
    trainer.dispose();
    await engine.close();
    model.dispose();
  };
  return { trainer, close };
}

describe("worker faults", () => {
  it("a worker killed with SIGKILL mid-job: stalled-job recovery runs its job elsewhere, counted once", async () => {
    const [a] = workers;
    const run = await queuedRun("kill9", []);
    const training = run.trainer.train();
    const killed = await freezeMidJob(a, /job generate\.kill9\.s[12]\./);
    await a.kill("SIGKILL");
    expect(withoutTimes(await training)).toEqual(expected);
    const others = workers.slice(1);
    expect(others.some((w) => w.count(new RegExp(`job ${escape(killed)} stalled`)) > 0)).toBe(true);
    expect(others.filter((w) => w.count(new RegExp(`job ${escape(killed)} done`)) > 0)).toHaveLength(1);
    expect(a.count(new RegExp(`job ${escape(killed)} done`))).toBe(0);
    await run.close();
  });

  it("a frozen worker's late result is refused once another worker ran its job", async () => {
    const [, b, c] = workers;
    const run = await queuedRun("frozen", []);
    const training = run.trainer.train();
    const frozen = await freezeMidJob(b, /job generate\.frozen\.s[12]\./);
    await c.waitFor(new RegExp(`job ${escape(frozen)} done`));
    b.proc.kill("SIGCONT");
    expect(withoutTimes(await training)).toEqual(expected);
    await b.waitFor(/late result was refused/, 10_000);
    await run.close();
  });

  it("Redis restarted empty mid-step: the trainer waits, puts back its jobs and weights, and finishes", async () => {
    const log: string[] = [];
    const run = await queuedRun("restart", log, { weights: RedisWeightStore.forRun(redis.url, "restart") });
    // Freeze the workers as step 1 starts, so its jobs are surely queued and unfinished when Redis goes.
    const alive = workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    run.trainer.hooks.beforeStep.tap("freeze-workers", ({ step }) => {
      if (step === 1) for (const w of alive) w.proc.kill("SIGSTOP");
    });
    const training = run.trainer.train();
    const probe = new Redis({ port: redis.port, maxRetriesPerRequest: 1 });
    await until(async () => (await probe.keys("bull:faults:generate.restart.s1.*")).length >= 4);
    probe.disconnect();
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    for (const w of alive) w.proc.kill("SIGCONT");
    expect(withoutTimes(await training)).toEqual(expected);
    expect(log.some((l) => /Redis at .* is unreachable/.test(l))).toBe(true);
    expect(log.some((l) => /Redis at .* is back after/.test(l))).toBe(true);
    expect(log.some((l) => /job generate\.restart\.s1\.\S+ is gone from Redis .*enqueueing it again/.test(l))).toBe(true);
    expect(log.some((l) => /policy version 1 is gone .*publishing it again/.test(l))).toBe(true);
    await run.close();
  });

  it("Redis gone past the bound: a clear error, then the run resumes from its checkpoint with the same metrics", async () => {
    const checkpoints = join(dir, "gone-checkpoints");
    const first = await queuedRun("gone", [], { redisTimeoutSeconds: 2, checkpoints });
    const training = first.trainer.train();
    await workers[2].waitFor(/job generate\.gone\.s2\.\S+ started/);
    await redis.stop();
    const started = Date.now();
    const error = await training.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as Error).message).toMatch(/unreachable for \d+ s while .*step 2.*r1ts run --resume/);
    expect(Date.now() - started).toBeLessThan(8000);
    await first.close();
    await redis.start();
    const second = await queuedRun("gone", []);
    await second.trainer.resume(join(checkpoints, "step-2"));
    expect(withoutTimes(await second.trainer.train())).toEqual(expected);
    await second.close();
  });
});
