import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  batchFromRows, batchSize, completionLengths, configureReward, defineReward, isReward, resolveRewardOptions,
  RewardBatchError, RewardConfigError, RewardError, RewardTimeoutError, runReward,
} from "../src/reward/index.ts";
import type { RewardBatch } from "../src/reward/index.ts";

const batch: RewardBatch = {
  prompts: ["1+1", "2+2", "3+3"],
  completions: ["2", "5", "six"],
  columns: { answer: ["2", "4", "6"] },
};

const exact = defineReward({
  name: "exact",
  score: (b) => b.completions.map((c, i) => (c === b.columns.answer[i] ? 1 : 0)),
});

describe("defineReward", () => {
  it("makes a frozen reward that scores a batch", async () => {
    expect(Object.isFrozen(exact)).toBe(true);
    expect(isReward(exact)).toBe(true);
    const run = await runReward(exact, batch, { options: {} });
    expect(run.scores).toEqual([1, 0, 0]);
    expect(run.failure).toBeUndefined();
  });

  it("rejects bad names and a missing score function", () => {
    expect(() => defineReward({ name: "", score: () => [] })).toThrow(/name must be/);
    expect(() => defineReward({ name: "has space", score: () => [] })).toThrow(RewardConfigError);
    expect(() => defineReward({ name: "x", score: 3 as never })).toThrow(/score must be a function/);
  });

  it("parses options with defaults; configureReward changes the defaults; errors name reward and field", () => {
    const scaled = defineReward({
      name: "scaled",
      options: z.object({ scale: z.number().positive().default(2), column: z.string().default("answer") }),
      score: (b, { options }) => b.completions.map(() => options.scale),
    });
    expect(resolveRewardOptions(scaled)).toEqual({ scale: 2, column: "answer" });
    expect(resolveRewardOptions(scaled, { scale: 3 })).toEqual({ scale: 3, column: "answer" });
    const three = configureReward(scaled, { scale: 3 });
    expect(resolveRewardOptions(three)).toEqual({ scale: 3, column: "answer" });
    expect(resolveRewardOptions(three, { column: "gold" })).toEqual({ scale: 3, column: "gold" });
    expect(() => resolveRewardOptions(scaled, { scale: "big" })).toThrow(/reward "scaled": invalid options\n  options.scale: .*expected number/);
    expect(() => configureReward(scaled, { scale: -1 })).toThrow(/options.scale/);
    expect(() => resolveRewardOptions(scaled, [1])).toThrow(/options must be an object/);
    expect(() => resolveRewardOptions(exact, { typo: 1 })).toThrow(/reward "exact": invalid options/);
  });
});

describe("runReward", () => {
  it("accepts async rewards and maps NaN to null", async () => {
    const r = defineReward({ name: "async", score: async (b) => b.completions.map((_, i) => (i === 1 ? NaN : i === 2 ? null : 0.5)) });
    expect((await runReward(r, batch, { options: {} })).scores).toEqual([0.5, null, null]);
  });

  it("a reward that throws fails with a RewardError naming it, keeping the cause", async () => {
    const boom = defineReward({ name: "boom", score: () => { throw new Error("kaput"); } });
    const error = await runReward(boom, batch, { options: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(RewardError);
    expect(error.message).toBe('reward "boom" failed on a batch of 3 rows: kaput');
    expect(error.reward).toBe("boom");
    expect(error.cause.message).toBe("kaput");
  });

  it("a reward that throws scores 0 with a warning under onError zero", async () => {
    const boom = defineReward({ name: "boom", score: async () => { throw new Error("kaput"); } });
    const warn = vi.fn();
    const run = await runReward(boom, batch, { options: {}, onError: "zero", warn });
    expect(run.scores).toEqual([0, 0, 0]);
    expect(run.failure).toMatch(/reward "boom" failed/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/reward "boom" failed .*scoring 0 for this batch/);
  });

  it("times out a reward that never resolves, aborting its signal", async () => {
    let aborted = false;
    const never = defineReward({
      name: "never",
      score: (_b, { signal }) => new Promise<never>(() => { signal.addEventListener("abort", () => { aborted = true; }); }),
    });
    const error = await runReward(never, batch, { options: {}, timeoutMs: 30 }).catch((e) => e);
    expect(error).toBeInstanceOf(RewardTimeoutError);
    expect(error.message).toMatch(/reward "never" did not finish within 30 ms on a batch of 3 rows/);
    expect(aborted).toBe(true);
    const zero = await runReward(never, batch, { options: {}, timeoutMs: 30, onError: "zero", warn: () => {} });
    expect(zero.scores).toEqual([0, 0, 0]);
  });

  it("counts a synchronous reward that overran its limit as timed out", async () => {
    const slow = defineReward({ name: "slow", score: (b) => { const end = Date.now() + 40; while (Date.now() < end); return b.completions.map(() => 1); } });
    await expect(runReward(slow, batch, { options: {}, timeoutMs: 10 })).rejects.toThrow(RewardTimeoutError);
  });

  it("rejects malformed results naming the reward and the row", async () => {
    const cases: [unknown, RegExp][] = [
      [[1, 2], /returned 2 scores for a batch of 3 rows/],
      ["nope", /must return an array of 3 numbers or nulls, got "nope"/],
      [[1, Infinity, 0], /returned Infinity for row 1/],
      [[1, "1", 0], /returned "1" for row 1/],
      [[1, 0, undefined], /returned undefined for row 2/],
    ];
    for (const [result, message] of cases) {
      const bad = defineReward({ name: "bad", score: () => result as never });
      await expect(runReward(bad, batch, { options: {} })).rejects.toThrow(message);
    }
  });
});

describe("batches", () => {
  it("checks every column has one entry per row", () => {
    expect(batchSize(batch)).toBe(3);
    expect(() => batchSize({ ...batch, prompts: ["a"] })).toThrow(/prompts has 1 entries but there are 3 completions/);
    expect(() => batchSize({ ...batch, columns: { answer: [1] } })).toThrow(RewardBatchError);
    expect(() => batchSize({ ...batch, completionIds: [[1]] })).toThrow(/completionIds has 1 entries/);
  });

  it("builds a batch from rows, keeping other keys as columns", () => {
    const b = batchFromRows([
      { prompt: "p0", completion: "c0", answer: "1", completionIds: [1, 2] },
      { prompt: "p1", completion: "c1", extra: true, completionIds: [3] },
    ]);
    expect(b.prompts).toEqual(["p0", "p1"]);
    expect(b.columns).toEqual({ answer: ["1", undefined], extra: [undefined, true] });
    expect(b.completionIds).toEqual([[1, 2], [3]]);
    expect(() => batchFromRows([{ prompt: "p", completion: 3 }])).toThrow(/row 0 has no string "completion"/);
  });

  it("measures lengths in tokens when ids are present, else in code points", () => {
    expect(completionLengths({ ...batch, completionIds: [[1], [1, 2], []] })).toEqual([1, 2, 0]);
    expect(completionLengths({ prompts: ["", ""], completions: ["héllo", "😀"], columns: {} })).toEqual([5, 1]);
    expect(() => completionLengths(batch, "tokens")).toThrow(/no completionIds/);
  });
});
