/**
 * What the trainer refuses and how it stops: results of the wrong shape or from a stale policy version
 * (logged with the reason, the job enqueued again), a worker that keeps answering badly, jobs that fail
 * on the workers, and no worker at all within the time limit.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "@r1ts/core";
import {
  DirectoryWeightStore, type GenerateJobData, PROTOCOL, QueueJobError, QueueRolloutEngine, type WeightStore, generateResultProblem, jobId, startRolloutWorker,
} from "../src/index.ts";
import { type RedisServer, startRedisServer } from "../src/testing/index.ts";
import { tokenizer, toyModel, toyTrainer, withoutTimes } from "./helpers.ts";

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  await setBackend("reference");
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), "r1ts-bad-"));
});
afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A worker that answers each job it takes with the next bad result of `answers`, then stops. */
function rogueWorker(queue: string, answers: ((data: GenerateJobData) => unknown)[]) {
  const connection = new Redis({ port: redis.port, maxRetriesPerRequest: null });
  let taken = 0;
  const worker = new Worker(queue, async (job) => answers[taken++](job.data as GenerateJobData), { connection, name: "rogue", concurrency: 1 });
  const done = new Promise<void>((resolve) => {
    worker.on("completed", async () => {
      if (taken === answers.length) {
        await worker.close();
        connection.disconnect();
        resolve();
      }
    });
  });
  return { worker, done };
}

const rows = (d: GenerateJobData) => d.prompts.length * d.groupSize;
const good = (d: GenerateJobData, patch: Record<string, unknown> = {}) => ({
  protocol: PROTOCOL, policyVersion: d.policyVersion, worker: "rogue", seconds: 0,
  completionIds: Array.from({ length: rows(d) }, () => [2, 0]), finishReasons: Array.from({ length: rows(d) }, () => "eos"), logProbs: Array.from({ length: rows(d) }, () => [-0.5, -0.1]),
  ...patch,
});

async function engineOn(queue: string, log: string[], model = toyModel(), extra: { weights?: WeightStore; timeoutSeconds?: number; attempts?: number; maxRejections?: number } = {}) {
  const engine = await QueueRolloutEngine.connect({
    redis: redis.url, queue, run: queue, policy: model, tokenizer, weights: extra.weights ?? new DirectoryWeightStore(join(dir, queue)), log: (l) => log.push(l),
    timeoutSeconds: extra.timeoutSeconds, attempts: extra.attempts, maxRejections: extra.maxRejections ?? 5,
  });
  return { engine, model };
}

describe("bad results and failed jobs", () => {
  it("rejects wrong shapes and stale versions with a logged reason, then counts the good result: the run equals the local one", async () => {
    const local = toyTrainer({ steps: 2 });
    const expected = withoutTimes(await local.trainer.train());
    local.trainer.dispose();
    local.model.dispose();

    const rogue = rogueWorker("bad", [
      (d) => good(d, { completionIds: [[2, 0]] }),
      (d) => good(d, { policyVersion: d.policyVersion + 7 }),
      (d) => good(d, { completionIds: Array.from({ length: rows(d) }, () => [99, 0]) }),
      (d) => good(d, { finishReasons: Array.from({ length: rows(d) }, () => "length") }),
      (d) => good(d, { logProbs: Array.from({ length: rows(d) }, () => [0.7, -0.1]) }),
      () => ({ hello: "world" }),
    ]);
    const log: string[] = [];
    const { engine, model } = await engineOn("bad", log);
    const { trainer } = toyTrainer({ steps: 2 }, model, engine);
    const training = trainer.train();
    await rogue.done;
    const worker = await startRolloutWorker({ redis: redis.url, queue: "bad", name: "good", log: () => {} });
    expect(withoutTimes(await training)).toEqual(expected);
    const rejected = log.filter((l) => /rejected the result of job .* from worker rogue/.test(l));
    expect(rejected).toHaveLength(6);
    for (const reason of [/wrong shape: 1 completions for 1 prompts x 4 samples = 4 rows/, /stale policy version: sampled with version 7, the job asked for version 0/,
      /holds token 99, outside the vocabulary of 6/, /holds the EOS token at 1 but finished with "length"/, /log-prob that is not a finite number <= 0/, /malformed result/]) {
      expect(rejected.some((l) => reason.test(l)), String(reason)).toBe(true);
    }
    trainer.dispose();
    await engine.close();
    await worker.close();
    model.dispose();
  });

  it("stops naming the problem when a job keeps coming back bad", async () => {
    const rogue = rogueWorker("stale", Array.from({ length: 3 }, () => (d: GenerateJobData) => good(d, { policyVersion: 3 })));
    const log: string[] = [];
    const { engine, model } = await engineOn("stale", log, toyModel(), { maxRejections: 2 });
    const request = { prompts: [[1]], groupSize: 4, maxNewTokens: 4, temperature: 1, topP: 1, eosTokenId: 0, seed: 1, step: 0 };
    await expect(engine.generate(request)).rejects.toThrow(/returned 3 bad results in a row, the last from worker rogue: stale policy version/);
    await rogue.done;
    await engine.close();
    model.dispose();
  });

  it("a job that fails on every attempt stops the run with the worker's reason", async () => {
    const worker = await startRolloutWorker({ redis: redis.url, queue: "fail", name: "w", log: () => {} });
    // The store says its URL is a directory that does not exist: workers cannot load the policy.
    const store = new DirectoryWeightStore(join(dir, "fail"));
    const misleading = Object.assign(Object.create(store) as WeightStore, { url: `file://${join(dir, "nowhere")}/` });
    const { engine, model } = await engineOn("fail", [], toyModel(), { weights: misleading, attempts: 2 });
    const request = { prompts: [[1]], groupSize: 2, maxNewTokens: 4, temperature: 1, topP: 1, eosTokenId: 0, seed: 1, step: 0 };
    const error = await engine.generate(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueJobError);
    expect((error as Error).message).toMatch(/failed on worker w after 2 attempts: weight store .*nowhere.* does not hold/);
    await engine.close();
    await worker.close();
    model.dispose();
  });

  it("with no worker, the step fails after timeoutSeconds saying how many workers listen", async () => {
    const { engine, model } = await engineOn("empty", [], toyModel(), { timeoutSeconds: 1 });
    const request = { prompts: [[1], [1, 1]], groupSize: 2, maxNewTokens: 4, temperature: 1, topP: 1, eosTokenId: 0, seed: 1, step: 0 };
    await expect(engine.generate(request)).rejects.toThrow(/0 of 2 jobs finished within 1 s \(0 workers on queue "empty"\); start more workers/);
    await engine.close();
    model.dispose();
  });
});

describe("job ids and result checks", () => {
  const data: GenerateJobData = {
    protocol: PROTOCOL, run: "r", step: 3, policyVersion: 2, weights: "file:///w/", firstPrompt: 4, prompts: [[1, 2]], groupSize: 2, maxNewTokens: 3,
    temperature: 1, topP: 1, eosTokenId: 0, seed: 9,
  };

  it("are content addresses: the same work gets the same id, other work another; no ':' and not an integer", () => {
    const id = jobId("generate", "my run/1", ["s3", "p4"], data);
    expect(id).toMatch(/^generate\.my-run-1\.s3\.p4\.[0-9a-f]{16}$/);
    expect(jobId("generate", "my run/1", ["s3", "p4"], { ...data })).toBe(id);
    expect(jobId("generate", "my run/1", ["s3", "p4"], { ...data, seed: 10 })).not.toBe(id);
    expect(jobId("generate", "my run/1", ["s3", "p4"], { ...data, policyVersion: 3 })).not.toBe(id);
  });

  it("accept a well-formed result and name what is wrong with others", () => {
    const ok = { protocol: PROTOCOL, policyVersion: 2, worker: "w", seconds: 0.1, completionIds: [[3, 0], [4, 5, 2]], finishReasons: ["eos", "length"], logProbs: [[-1, -0.2], [-0.1, -2, -3]] };
    expect(generateResultProblem(data, ok, 6)).toBeUndefined();
    expect(generateResultProblem(data, { ...ok, protocol: 0 }, 6)).toMatch(/malformed result \(protocol/);
    expect(generateResultProblem(data, { ...ok, completionIds: [[3, 0], [4, 5, 2, 1]], logProbs: [[-1, -0.2], [-1, -1, -1, -1]] }, 6)).toMatch(/row 1 has 4 tokens \(expected 1..3\)/);
    expect(generateResultProblem(data, { ...ok, finishReasons: ["eos", "eos"] }, 6)).toMatch(/row 1 finished with "eos" but its last token is not the EOS token/);
    expect(generateResultProblem(data, { ...ok, completionIds: [[3, 0], [4, 5]], logProbs: [[-1, -0.2], [-1, -1]] }, 6)).toMatch(/row 1 finished with "length" after 2 of 3 tokens/);
    expect(generateResultProblem(data, { ...ok, logProbs: [[-1], [-0.1, -2, -3]] }, 6)).toMatch(/row 0 has 1 log-probs for 2 tokens/);
    expect(generateResultProblem(data, { ...ok, logProbs: [[-1, Number.NaN], [-0.1, -2, -3]] }, 6)).toMatch(/malformed|not a finite number/);
  });
});
