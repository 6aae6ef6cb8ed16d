/**
 * `rewards: { on: workers }`: the trainer sends rows out as scoring jobs and the workers run the rewards
 * (a plugin listed by path, and one the worker has built in). Scores equal the trainer's own runner.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunContext, defineReward, definePlugin } from "@r1ts/core";
import { QueueRewardRunner, startRolloutWorker } from "../src/index.ts";
import { type RedisServer, startRedisServer } from "../src/testing/index.ts";

const SELF_CHECK = fileURLToPath(new URL("../../../examples/custom-reward-plugin", import.meta.url));
const lengthish = definePlugin({
  name: "test-length",
  version: "1.0.0",
  coreRange: "*",
  setup(api) {
    // Depends on the whole batch: the longest completion scores 1.
    api.registerReward(defineReward({ name: "longest", score: (b) => b.completions.map((c) => (c.length === Math.max(...b.completions.map((x) => x.length)) ? 1 : 0)) }));
    api.registerReward(defineReward({ name: "fails", score: () => { throw new Error("boom"); } }));
  },
});

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const batch = {
  prompts: ["2+2?", "2+2?", "3+3?", "3+3?", "1+1?"],
  completions: ["<think>\n4, let me verify: yes\n</think>\n<answer>\n4\n</answer>", "5", "wait, let me check: 6", "6", "<think>\nok\n</think>"],
  columns: { answer: ["4", "4", "6", "6", "2"] },
};

describe("rewards scored on workers", () => {
  it("equal the trainer's own scores in one job; split over jobs, per-row rewards still do", async () => {
    const worker = await startRolloutWorker({ redis: redis.url, queue: "rewards", name: "scorer", builtinPlugins: [lengthish], allowedPlugins: [SELF_CHECK], log: () => {} });
    const plugins = [SELF_CHECK];
    const rewards = [{ name: "self-check", weight: 0.5 }, "longest"];
    const ctx = await createRunContext({ plugins, builtins: [lengthish] });
    const local = ctx.createRewardRunner(rewards);
    const expected = await local.score(batch);
    const whole = await QueueRewardRunner.connect({ redis: redis.url, queue: "rewards", run: "r", local, plugins, rewards });
    const scores = await whole.score(batch);
    expect({ ...scores, seconds: {} }).toEqual({ ...expected, seconds: {} });
    expect(whole.uses).toEqual(local.uses);
    expect(expected.perReward.longest.filter((v) => v === 1)).toHaveLength(1);
    await whole.close();
    // Split into jobs of 2 rows, per-row rewards still agree; a reward over the whole batch sees only its job.
    const split = await QueueRewardRunner.connect({ redis: redis.url, queue: "rewards", run: "r", local, plugins, rewards, rowsPerJob: 2 });
    const parts = await split.score(batch);
    expect(parts.perReward["self-check"]).toEqual(expected.perReward["self-check"]);
    expect(parts.perReward.longest.filter((v) => v === 1).length).toBeGreaterThan(1);
    await split.close();
    expect(worker.done.score).toBe(1 + 3);
    await worker.close();
  });

  it("a worker loads only the plugins it was allowed to (loading one runs its code)", async () => {
    const worker = await startRolloutWorker({ redis: redis.url, queue: "rewards-deny", name: "scorer", builtinPlugins: [lengthish], log: () => {} });
    const ctx = await createRunContext({ plugins: [SELF_CHECK], builtins: [lengthish] });
    const runner = await QueueRewardRunner.connect({ redis: redis.url, queue: "rewards-deny", run: "r", local: ctx.createRewardRunner(["self-check"]), plugins: [SELF_CHECK], rewards: ["self-check"] });
    await expect(runner.score(batch)).rejects.toThrow(/asks for plugin ".*custom-reward-plugin", which this worker may not load .*start the worker with --plugin/);
    await runner.close();
    await worker.close();
  });

  it("a reward that throws on the worker fails the job with its message, or scores 0 under onError zero", async () => {
    const worker = await startRolloutWorker({ redis: redis.url, queue: "rewards-fail", name: "scorer", builtinPlugins: [lengthish], log: () => {} });
    const ctx = await createRunContext({ builtins: [lengthish] });
    const failing = await QueueRewardRunner.connect({ redis: redis.url, queue: "rewards-fail", run: "r", local: ctx.createRewardRunner(["fails"]), plugins: [], rewards: ["fails"], attempts: 1 });
    await expect(failing.score(batch)).rejects.toThrow(/failed on worker scorer after 1 attempts: reward "fails" failed on a batch of 5 rows: boom/);
    await failing.close();
    const zero = await QueueRewardRunner.connect({ redis: redis.url, queue: "rewards-fail", run: "r", local: ctx.createRewardRunner(["fails"]), plugins: [], rewards: ["fails"], onError: "zero" });
    const scores = await zero.score(batch);
    expect(scores.total).toEqual([0, 0, 0, 0, 0]);
    expect(scores.warnings[0]).toMatch(/boom/);
    await zero.close();
    await worker.close();
  });
});
