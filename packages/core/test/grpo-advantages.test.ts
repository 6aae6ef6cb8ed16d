/** Golden values of GRPO's reward combination and group advantages (docs/grpo-algorithm.md), worked out by hand. */
import { describe, expect, it } from "vitest";
import { ADVANTAGE_EPS, AdvantageError, combineRewards, groupAdvantages } from "../src/index.ts";

describe("combineRewards", () => {
  it("weights and sums the applicable rewards; null and NaN are skipped; a row with none is null", () => {
    const totals = combineRewards(
      [
        { name: "accuracy", weight: 1, values: [1, 0, null, null, 1] },
        { name: "format", weight: 0.5, values: [1, 1, 1, null, Number.NaN] },
      ],
      5,
    );
    expect(totals).toEqual([1.5, 0.5, 0.5, null, 1]);
  });

  it("names the reward whose score count is wrong", () => {
    expect(() => combineRewards([{ name: "format", weight: 1, values: [1] }], 2)).toThrow(/reward "format" returned 1 scores for 2 rows/);
  });
});

describe("groupAdvantages", () => {
  // Two groups of 4. Group 0: [1, 0, 0, 1] mean 0.5, unbiased std sqrt(1/3) = 0.5773502691896257.
  // Group 1: [2, 2, 2, 2]: std 0, every advantage 0.
  const rewards = [1, 0, 0, 1, 2, 2, 2, 2];

  it("group scaling: (r - mean) / (std + 1e-4)", () => {
    const { advantages, groupMean, groupStd, fracRewardZeroStd } = groupAdvantages(rewards, 4, "group");
    const a = 0.5 / (0.5773502691896257 + 1e-4);
    expect(Array.from(advantages)).toEqual([a, -a, -a, a, 0, 0, 0, 0]);
    expect(a).toBeCloseTo(0.8658754, 6);
    expect(Array.from(groupMean)).toEqual([0.5, 2]);
    expect(groupStd[0]).toBeCloseTo(0.5773502691896257, 15);
    expect(fracRewardZeroStd).toBe(0.5);
  });

  it("batch scaling: group mean, the whole batch's std", () => {
    // All 8 rewards: mean 1.25, sum of squared deviations 2*(0.0625) + 2*(1.5625) + 4*(0.5625) = 5.5, std sqrt(5.5/7).
    const batchStd = Math.sqrt(5.5 / 7);
    const { advantages } = groupAdvantages(rewards, 4, "batch");
    const a = 0.5 / (batchStd + ADVANTAGE_EPS);
    expect(a).toBeCloseTo(0.564012, 5);
    expect(Array.from(advantages)).toEqual([a, -a, -a, a, 0, 0, 0, 0]);
  });

  it("no scaling (Dr. GRPO): r - mean", () => {
    expect(Array.from(groupAdvantages([3, 1, 2, 2], 2, "none").advantages)).toEqual([1, -1, 0, 0]);
  });

  it("null rewards take no part in the statistics and get advantage 0", () => {
    // Group [1, null, 0]: stats over [1, 0] (mean 0.5, std sqrt(0.5)); group [null, null, 5]: one value, std 0.
    const { advantages, fracRewardZeroStd } = groupAdvantages([1, null, 0, null, null, 5], 3, "group");
    const a = 0.5 / (Math.sqrt(0.5) + 1e-4);
    expect(Array.from(advantages)).toEqual([a, 0, -a, 0, 0, 0]);
    expect(fracRewardZeroStd).toBe(0.5);
  });

  it("rejects bad shapes and modes", () => {
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow(AdvantageError);
    expect(() => groupAdvantages([1, 2], 0)).toThrow(/groupSize must be a positive integer/);
    expect(() => groupAdvantages([1, 2], 2, "mean" as never)).toThrow(/scaleRewards must be one of group, batch, none, got "mean"/);
  });
});
