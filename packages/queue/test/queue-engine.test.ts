/**
 * The queue rollout engine in one process against a real redis-server: its rollouts equal the local
 * engine's (same seed, same backend) with one worker or two, with any number of prompts per job.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalRolloutEngine, TransformerLM, setBackend } from "@r1ts/core";
import { DirectoryWeightStore, QueueRolloutEngine, startRolloutWorker, type RolloutWorker } from "../src/index.ts";
import { type RedisServer, startRedisServer } from "../src/testing/index.ts";
import { MODEL, tokenizer, toyModel, toyTrainer, withoutTimes } from "./helpers.ts";

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  await setBackend("reference");
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), "r1ts-queue-"));
});
afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function engineFor(model: TransformerLM, run: string, promptsPerJob = 1) {
  return QueueRolloutEngine.connect({
    redis: redis.url, queue: "q-engine", run, policy: model, tokenizer, weights: new DirectoryWeightStore(join(dir, run)), promptsPerJob, redisTimeoutSeconds: 5,
  });
}

describe("queue rollout engine", () => {
  it("returns the local engine's rollouts (tokens, texts, finish reasons, log-probs), split over jobs and workers", async () => {
    const workers: RolloutWorker[] = [];
    for (const name of ["w1", "w2"]) workers.push(await startRolloutWorker({ redis: redis.url, queue: "q-engine", name, log: () => {} }));
    const model = new TransformerLM({ ...MODEL, initStd: 0.6 });
    const request = { prompts: [[1], [1, 1], [1, 2], [1, 3, 1], [2]], groupSize: 3, maxNewTokens: 5, temperature: 1, topP: 0.95, eosTokenId: 0, seed: 1234, step: 0, policyVersion: 0 };
    const local = await new LocalRolloutEngine(model, tokenizer).generate(request);
    for (const promptsPerJob of [1, 2, 5]) {
      const engine = await engineFor(model, `split-${promptsPerJob}`, promptsPerJob);
      const remote = await engine.generate(request);
      expect(remote).toEqual(local);
      await engine.close();
    }
    expect(workers[0].done.generate + workers[1].done.generate).toBe(5 + 3 + 1);
    for (const w of workers) await w.close();
    model.dispose();
  });

  it("a GRPO run on the queue engine has the local run's metrics", async () => {
    const worker = await startRolloutWorker({ redis: redis.url, queue: "q-engine", name: "w3", log: () => {} });
    const local = toyTrainer();
    const expected = withoutTimes(await local.trainer.train());
    local.trainer.dispose();
    local.model.dispose();
    const model = toyModel();
    const engine = await engineFor(model, "grpo");
    const queued = toyTrainer({}, model, engine);
    expect(withoutTimes(await queued.trainer.train())).toEqual(expected);
    expect(worker.done.generate).toBe(3 * 4);
    queued.trainer.dispose();
    await engine.close();
    model.dispose();
    await worker.close();
  });

  it("async (maxStaleness 1): the queue engine overlaps generation with training and has the local async run's metrics", async () => {
    const worker = await startRolloutWorker({ redis: redis.url, queue: "q-engine", name: "w4", log: () => {} });
    const local = toyTrainer({ steps: 4, maxStaleness: 1 });
    const expected = withoutTimes(await local.trainer.train());
    expect(expected.map((m) => m.policy_lag)).toEqual([0, 1, 1, 1]);
    local.trainer.dispose();
    local.model.dispose();
    const model = toyModel();
    const engine = await engineFor(model, "async");
    const queued = toyTrainer({ steps: 4, maxStaleness: 1 }, model, engine);
    expect(withoutTimes(await queued.trainer.train())).toEqual(expected);
    queued.trainer.dispose();
    await engine.close();
    model.dispose();
    await worker.close();
  });
});
