import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createRewardRunner, defineReward, rewardMetrics, RewardError, scoreStats, weightedTotal } from "../src/reward/index.ts";
import type { RewardBatch } from "../src/reward/index.ts";

const batch: RewardBatch = { prompts: ["a", "b", "c", "d"], completions: ["w", "x", "y", "z"], columns: {} };
const fixed = (name: string, scores: (number | null)[]) => defineReward({ name, score: () => scores });

describe("createRewardRunner", () => {
  it("sums weighted scores row by row, skipping nulls; all-null rows total null (docs/grpo-algorithm.md)", async () => {
    const runner = createRewardRunner([
      { reward: fixed("a", [1, 0, null, null]), weight: 1 },
      { reward: fixed("b", [0.5, 1, 1, null]), weight: 2 },
      { reward: fixed("c", [-1, null, 0.25, null]), weight: 0.5 },
    ]);
    const scores = await runner.score(batch);
    expect(scores.names).toEqual(["a", "b", "c"]);
    expect(scores.weights).toEqual({ a: 1, b: 2, c: 0.5 });
    // row 0: 1 + 2*0.5 + 0.5*(-1) = 1.5; row 1: 0 + 2 = 2; row 2: 2 + 0.125; row 3: nothing applies.
    expect(scores.total).toEqual([1.5, 2, 2.125, null]);
    expect(scores.perReward.b).toEqual([0.5, 1, 1, null]);
    expect(Object.keys(scores.seconds)).toEqual(["a", "b", "c"]);
  });

  it("runs async rewards concurrently", async () => {
    const slow = (name: string) => defineReward({ name, score: async (b) => { await new Promise((r) => setTimeout(r, 60)); return b.completions.map(() => 1); } });
    const runner = createRewardRunner([{ reward: slow("s1") }, { reward: slow("s2") }, { reward: slow("s3") }]);
    const t = performance.now();
    const scores = await runner.score(batch);
    expect(performance.now() - t).toBeLessThan(170);
    expect(scores.total).toEqual([3, 3, 3, 3]);
  });

  it("lets one reward be used twice under another name with other options", async () => {
    const scaled = defineReward({ name: "scaled", options: z.object({ k: z.number().default(1) }), score: (b, { options }) => b.completions.map(() => options.k) });
    const runner = createRewardRunner([{ reward: scaled }, { reward: scaled, as: "scaled-big", options: { k: 10 }, weight: 0.1 }]);
    const scores = await runner.score(batch);
    expect(scores.perReward.scaled).toEqual([1, 1, 1, 1]);
    expect(scores.perReward["scaled-big"]).toEqual([10, 10, 10, 10]);
    expect(scores.total).toEqual([2, 2, 2, 2]);
  });

  it("fails before any work on a bad use", () => {
    const a = fixed("a", [1, 1, 1, 1]);
    expect(() => createRewardRunner([])).toThrow(/no rewards given/);
    expect(() => createRewardRunner([{ reward: a }, { reward: a }])).toThrow(/reward "a" is used twice/);
    expect(() => createRewardRunner([{ reward: a, weight: Number.NaN }])).toThrow(/reward "a": weight must be a finite number/);
    expect(() => createRewardRunner([{ reward: a, timeoutMs: -5 }])).toThrow(/timeoutMs must be a positive number/);
    expect(() => createRewardRunner([{ reward: a, options: { nope: 1 } }])).toThrow(/reward "a": invalid options/);
  });

  it("fails the whole batch naming the reward, or scores it 0 with a warning under onError zero", async () => {
    const boom = defineReward({ name: "boom", score: () => { throw new Error("no gold answer column"); } });
    const good = fixed("good", [1, 1, 1, 1]);
    const error = await createRewardRunner([{ reward: good }, { reward: boom }]).score(batch).catch((e) => e);
    expect(error).toBeInstanceOf(RewardError);
    expect(error.message).toBe('reward "boom" failed on a batch of 4 rows: no gold answer column');
    const warned: string[] = [];
    const runner = createRewardRunner([{ reward: good }, { reward: boom, onError: "zero" }], { warn: (m) => warned.push(m) });
    const scores = await runner.score(batch);
    expect(scores.perReward.boom).toEqual([0, 0, 0, 0]);
    expect(scores.total).toEqual([1, 1, 1, 1]);
    expect(scores.warnings).toEqual(warned);
    expect(warned[0]).toMatch(/reward "boom" failed/);
  });

  it("passes the runner's timeout and policy to every use", async () => {
    const never = defineReward({ name: "never", score: () => new Promise<never>(() => {}) });
    const runner = createRewardRunner([{ reward: never }, { reward: fixed("one", [1, 1, 1, 1]) }], { timeoutMs: 20, onError: "zero", warn: () => {} });
    const scores = await runner.score(batch);
    expect(scores.perReward.never).toEqual([0, 0, 0, 0]);
    expect(scores.warnings[0]).toMatch(/did not finish within 20 ms/);
  });
});

describe("reward statistics", () => {
  it("weightedTotal and scoreStats follow the formulas", () => {
    expect(weightedTotal([[2, 0.5], [3, null], [-1, 1]])).toBe(0);
    expect(weightedTotal([[2, null]])).toBeNull();
    const s = scoreStats([1, null, 3, null]);
    expect(s).toEqual({ mean: 2, std: 1, count: 2, nulls: 2 });
    expect(Number.isNaN(scoreStats([null]).mean)).toBe(true);
  });

  it("rewardMetrics names the total and every reward", async () => {
    const runner = createRewardRunner([{ reward: fixed("a", [1, 0, 1, 0]) }, { reward: fixed("b", [null, null, 2, 2]) }]);
    const m = rewardMetrics(await runner.score(batch));
    expect(m).toEqual({ "reward/mean": 1.5, "reward/std": Math.sqrt(1.25), "rewards/a/mean": 0.5, "rewards/a/std": 0.5, "rewards/b/mean": 2, "rewards/b/std": 0 });
  });
});
