/**
 * GRPO step time against the number of rollout workers, when generation dominates, synchronous and
 * asynchronous. The demo's model and task (8 prompts x 8 completions, 40 new tokens), the reference
 * backend, GRPO steps on the trainer; generation on N `r1ts worker` processes (one job per prompt), against
 * the local engine; then the same with maxStaleness 1 (step t+1's rollouts generate while step t trains).
 *
 * This machine has 2 cores, so real generation in 8 processes would only share them: generation is
 * *simulated slow* instead. Every job (local or on a worker) waits `--delay-ms` per decode step of its
 * longest completion after generating for real, as a remote machine's generation time would; the wait
 * costs no CPU. The local engine waits for its jobs one after another (one machine), the workers in
 * parallel. Synchronous configurations must all give the same metrics, and so must the asynchronous ones
 * (the run is seeded per prompt and sample; the schedule fixes which policy version samples each step).
 *
 *   npx -y pnpm@12.4.2 exec tsx bench/queue-throughput.ts [--steps 6] [--delay-ms 25] [--workers 1,2,4,8] [--async-workers 2,4]
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import {
  GRPOTrainer, Generator, LocalRolloutEngine, type RolloutEngine, type RolloutRequest, type Rollouts, arithmeticTask, createRunContext, loadModelBundle, setBackend,
} from "@r1ts/core";
import { QueueRolloutEngine, RedisWeightStore } from "@r1ts/queue";
import { type WorkerProcess, startRedisServer, startWorkerProcess } from "@r1ts/queue/testing";
import { r1Rewards } from "@r1ts/rewards";

const { values } = parseArgs({
  options: { steps: { type: "string", default: "6" }, "delay-ms": { type: "string", default: "25" }, workers: { type: "string", default: "1,2,4,8" }, "async-workers": { type: "string", default: "2,4" } },
});
const steps = Number(values.steps);
const delayMs = Number(values["delay-ms"]);
const counts = (v: string | undefined) => (v ? v.split(",").filter(Boolean).map(Number) : []);
await setBackend("reference");

const BUNDLE = fileURLToPath(new URL("../packages/cli/assets/base-arithmetic", import.meta.url));
const task = arithmeticTask({ minDigits: 2, maxDigits: 2, operations: ["+"], seed: 0 });
const ctx = await createRunContext({ builtins: [r1Rewards] });
const rewards = ctx.createRewardRunner(["accuracy", "format"]);
const grpo = { steps, promptsPerStep: 8, groupSize: 8, maxNewTokens: 40, lr: 1e-3, seed: 0, maxGradNorm: 1 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The local engine, one prompt's job after another, each followed by its simulated generation time. */
class SlowLocalEngine implements RolloutEngine {
  readonly name = "local (simulated slow)";
  constructor(private readonly local: LocalRolloutEngine) {}
  async generate(request: RolloutRequest): Promise<Rollouts> {
    const out = await this.local.generate(request);
    for (let p = 0; p < request.prompts.length; p++) {
      const rows = out.completionIds.slice(p * request.groupSize, (p + 1) * request.groupSize);
      await sleep(delayMs * Math.max(...rows.map((r) => r.length)));
    }
    return out;
  }
}

type Bundle = Awaited<ReturnType<typeof loadModelBundle>>;
interface Row { label: string; async: boolean; step: number; rollout: number; train: number; metrics: number[][] }

async function run(label: string, maxStaleness: number, engineFor: (bundle: Bundle) => Promise<RolloutEngine>): Promise<Row> {
  const bundle = await loadModelBundle(BUNDLE);
  const engine = await engineFor(bundle);
  const trainer = new GRPOTrainer({
    model: bundle.model, tokenizer: bundle.tokenizer, eosTokenId: bundle.eosTokenId, rewards, prompts: (rng: Generator) => task.sampleTrain(rng), config: { ...grpo, maxStaleness }, rolloutEngine: engine,
  });
  const started = performance.now();
  const history = await trainer.train();
  const wall = (performance.now() - started) / 1000;
  trainer.dispose();
  await (engine as { close?: () => Promise<void> }).close?.();
  bundle.model.dispose();
  // Wall time over all steps: an async run generates two steps' rollouts in its first step and none in its last.
  const mean = (k: string) => history.reduce((a, m) => a + m[k], 0) / history.length;
  return { label, async: maxStaleness > 0, step: wall / history.length, rollout: mean("rolloutSeconds"), train: mean("trainSeconds"), metrics: history.map((m) => [m.reward, m.loss, m["completions/mean_length"], m.policy_lag]) };
}

const rows: Row[] = [await run("local engine", 0, async (b) => new SlowLocalEngine(new LocalRolloutEngine(b.model, b.tokenizer)))];
const redis = await startRedisServer();
const onWorkers = async (n: number, maxStaleness: number): Promise<Row> => {
  const queue = `bench-${n}-${maxStaleness}`;
  const workers: WorkerProcess[] = await Promise.all(Array.from({ length: n }, (_, i) => startWorkerProcess(`w${i + 1}`, redis.url, ["--queue", queue, "--token-delay-ms", String(delayMs)])));
  try {
    return await run(`queue, ${n} worker${n > 1 ? "s" : ""}${maxStaleness > 0 ? `, async k=${maxStaleness}` : ""}`, maxStaleness, (b) => QueueRolloutEngine.connect({
      redis: redis.url, queue, run: queue, policy: b.model, tokenizer: b.tokenizer, weights: RedisWeightStore.forRun(redis.url, queue),
    }));
  } finally {
    for (const w of workers) await w.kill("SIGTERM");
  }
};
for (const n of counts(values.workers)) rows.push(await onWorkers(n, 0));
const asyncCounts = counts(values["async-workers"]);
if (asyncCounts.length > 0) rows.push(await run("local engine, async k=1", 1, async (b) => new SlowLocalEngine(new LocalRolloutEngine(b.model, b.tokenizer))));
for (const n of asyncCounts) rows.push(await onWorkers(n, 1));
await redis.stop();

const identical = (group: Row[]) => group.every((r) => JSON.stringify(r.metrics) === JSON.stringify(group[0].metrics));
const sync = rows.filter((r) => !r.async);
const asyncRows = rows.filter((r) => r.async);
console.log(`GRPO on the demo model: ${grpo.promptsPerStep} prompts x ${grpo.groupSize}, ${grpo.maxNewTokens} new tokens, ${steps} steps, simulated generation ${delayMs} ms per decode step per job; step s = wall time / steps`);
console.table(rows.map((r) => ({
  engine: r.label,
  "step s": r.step.toFixed(2),
  "rollout s (waiting)": r.rollout.toFixed(2),
  "train s": r.train.toFixed(2),
  "step time vs local": (r.step / rows[0].step).toFixed(3),
})));
console.log(`identical metrics in every synchronous configuration: ${identical(sync) ? "yes" : "NO"}`);
if (asyncRows.length > 0) console.log(`identical metrics in every asynchronous configuration: ${identical(asyncRows) ? "yes" : "NO"}`);
if (!identical(sync) || !identical(asyncRows)) process.exitCode = 1;
