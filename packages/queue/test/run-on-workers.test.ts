/**
 * `r1ts run` with `rollout: { engine: queue }`, all real processes: the trainer and two `r1ts worker`s on
 * a redis-server. One worker is killed with SIGKILL mid-run, then the trainer itself after its second
 * checkpoint; `r1ts run --resume` finishes the run. Its metrics equal the local engine's run of the same
 * config: every job counted once, the dead trainer's jobs (still queued or done) taken up, never twice.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type RedisServer, WORKSPACE_CLI, type WorkerProcess, startRedisServer, startWorkerProcess } from "../src/testing/index.ts";

let redis: RedisServer;
let root: string;
let workers: WorkerProcess[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  root = await mkdtemp(join(tmpdir(), "r1ts-run-queue-"));
  const args = ["--queue", "runs", "--token-delay-ms", "40", "--lock-ms", "800", "--stalled-ms", "250"];
  workers = await Promise.all(["wa", "wb"].map((name) => startWorkerProcess(name, redis.url, args)));
}, 120_000);
afterAll(async () => {
  for (const w of workers) await w.kill();
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

/** examples/grpo-on-workers.yaml shrunk to seconds, with this `rollout` section (none: the local engine). */
async function config(name: string, rollout?: Record<string, unknown>): Promise<{ file: string; runDir: string }> {
  const { rollout: _example, ...example } = parse(await readFile(new URL("../../../examples/grpo-on-workers.yaml", import.meta.url), "utf8"));
  const runDir = join(root, name);
  const file = join(root, `${name}.json`);
  await writeFile(file, JSON.stringify({
    ...example, backend: "reference", runDir, ...(rollout ? { rollout: { ..._example, ...rollout } } : {}),
    grpo: { ...example.grpo, steps: 4, promptsPerStep: 2, groupSize: 4, maxNewTokens: 24, checkpointEvery: 1 },
    eval: { ...example.eval, problems: 4 },
  }));
  return { file, runDir };
}

function r1tsRun(args: string[]): { proc: ChildProcess; done: Promise<{ code: number | null; output: string }> } {
  const proc = spawn(process.execPath, [WORKSPACE_CLI, "run", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout!.on("data", (c) => (output += c));
  proc.stderr!.on("data", (c) => (output += c));
  return { proc, done: new Promise((resolve) => proc.once("exit", (code) => resolve({ code, output }))) };
}

const metrics = async (runDir: string) => (await readFile(join(runDir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => {
  const m = JSON.parse(l);
  for (const k of Object.keys(m)) if (k.endsWith("Seconds")) delete m[k];
  return m;
});

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("r1ts run on the queue engine", () => {
  it("a worker and then the trainer killed with SIGKILL: --resume ends with the local run's metrics", async () => {
    const local = await config("local");
    const localRun = r1tsRun([local.file]);
    const queued = await config("queued", { engine: "queue", redis: redis.url, queue: "runs", redisTimeoutSeconds: 10 });
    const first = r1tsRun([queued.file]);
    const [a] = workers;
    await a.waitFor(/job generate\.\S+\.s1\.\S+ started/, 90_000);
    await a.kill("SIGKILL");
    await until("the second checkpoint", () => existsSync(join(queued.runDir, "checkpoints", "step-000002")), 90_000);
    first.proc.kill("SIGKILL");
    await first.done;
    const resumed = await r1tsRun([queued.file, "--resume", queued.runDir]).done;
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(/rollouts on queue "runs"/);
    expect(resumed.output).toMatch(/resumed from .*step-00000[2-4]/);
    const expected = await localRun.done;
    expect(expected.code, expected.output).toBe(0);
    expect(await metrics(queued.runDir)).toEqual(await metrics(local.runDir));
  }, 240_000);

  it("a bad rollout section fails before any work, naming the field", async () => {
    const bad = await config("bad", { engine: "queue", redis: redis.url, promptsPerJob: 0 });
    const run = await r1tsRun([bad.file]).done;
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/rollout\.promptsPerJob/);
    const unknown = await r1tsRun([(await config("unknown", { engine: "ray" })).file]).done;
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/rollout.engine: unknown engine "ray" \(registered: local/);
  }, 60_000);
});
