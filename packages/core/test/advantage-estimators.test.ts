/** Advantage estimators and multi-reward aggregation on hand-computed small batches. */
import { describe, expect, it } from "vitest";
import { AdvantageError, aggregateRewards, estimateAdvantages } from "../src/index.ts";

const close = (actual: ArrayLike<number>, expected: readonly number[], digits = 9) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
};

describe("advantage estimators", () => {
  it("grpo is today's group advantage (r - mean) / (std + 1e-4)", () => {
    const a = estimateAdvantages([1, 0, 0, 1], { estimator: "grpo", groupSize: 4 });
    const std = Math.sqrt(1 / 3);
    close(a.advantages, [0.5 / (std + 1e-4), -0.5 / (std + 1e-4), -0.5 / (std + 1e-4), 0.5 / (std + 1e-4)]);
    expect(a.fracRewardZeroStd).toBe(0);
  });

  it("rloo subtracts the mean of the other completions of the group, skipping nulls", () => {
    close(estimateAdvantages([1, 0, 0, 1], { estimator: "rloo", groupSize: 4 }).advantages, [1 - 1 / 3, -2 / 3, -2 / 3, 1 - 1 / 3]);
    // Group 1 has three applicable rewards: 1 - (0 + 0.5) / 2, 0 - 0.75, 0.5 - 0.5; the null row gets 0.
    const a = estimateAdvantages([1, null, 0, 0.5, 2, 2, 2, 2], { estimator: "rloo", groupSize: 4 });
    close(a.advantages, [0.75, 0, -0.75, 0, 0, 0, 0, 0]);
    expect(a.fracRewardZeroStd).toBe(0.5);
  });

  it("reinforce++_baseline whitens r - mean_g over every active token of the batch", () => {
    // Centred: [0.5, -0.5 | 0, 0] over 2, 1, 3 and 1 tokens: seven values.
    const tokens = [0.5, 0.5, -0.5, 0, 0, 0, 0];
    const mean = 0.5 / 7;
    const variance = tokens.reduce((s, x) => s + (x - mean) ** 2, 0) / 6;
    const std = Math.sqrt(variance + 1e-8);
    const a = estimateAdvantages([1, 0, 1, 1], { estimator: "reinforce++_baseline", groupSize: 2, lengths: [2, 1, 3, 1] });
    close(a.advantages, [(0.5 - mean) / std, (-0.5 - mean) / std, -mean / std, -mean / std]);
  });

  it("reinforce++ without KL whitens the outcome reward itself over tokens (no group baseline)", () => {
    const tokens = [1, 1, 0, 1, 1, 1];
    const mean = 5 / 6;
    const std = Math.sqrt(tokens.reduce((s, x) => s + (x - mean) ** 2, 0) / 5 + 1e-8);
    const a = estimateAdvantages([1, 0, 1, null], { estimator: "reinforce++", groupSize: 2, lengths: [2, 1, 3, 4] });
    close(a.advantages, [(1 - mean) / std, (0 - mean) / std, (1 - mean) / std, 0]);
    expect(a.tokenAdvantages).toBeUndefined();
  });

  it("reinforce++ with the KL in the reward: per-token returns r - beta sum_{s >= t} kl_s, whitened", () => {
    // Row 0 (r = 1, kl 0.2, 0.4): returns 0.94, 0.96; row 1 (r = 0, kl 0.1): -0.01.
    const a = estimateAdvantages([1, 0], { estimator: "reinforce++", groupSize: 2, lengths: [2, 1], klPenalty: { beta: 0.1, perToken: [[0.2, 0.4], [0.1]] } });
    const std = Math.sqrt(((0.94 - 0.63) ** 2 + (0.96 - 0.63) ** 2 + (-0.01 - 0.63) ** 2) / 2 + 1e-8);
    close(a.tokenAdvantages![0], [0.31 / std, 0.33 / std]);
    close(a.tokenAdvantages![1], [-0.64 / std]);
    close(a.advantages, [0.32 / std, -0.64 / std]);
    close(a.rewards as number[], [1 - 0.06, 0 - 0.01]);
  });

  it("the outcome estimators see r - beta sum_t kl_t with the KL in the reward", () => {
    const klPenalty = { beta: 0.1, perToken: [[0.1, 0.2], [0.1], [], [0.5]] };
    const penalised = [0.97, -0.01, 1, 0.95];
    const grpo = estimateAdvantages([1, 0, 1, 1], { estimator: "grpo", groupSize: 2, klPenalty });
    const s0 = Math.abs(0.97 + 0.01) / Math.SQRT2;
    const s1 = Math.abs(1 - 0.95) / Math.SQRT2;
    close(grpo.advantages, [0.49 / (s0 + 1e-4), -0.49 / (s0 + 1e-4), 0.025 / (s1 + 1e-4), -0.025 / (s1 + 1e-4)]);
    close(grpo.rewards as number[], penalised);
    // The zero-variance statistic stays about the rewards themselves: group 1 (1, 1) teaches nothing.
    expect(grpo.fracRewardZeroStd).toBe(0.5);
    close(estimateAdvantages([1, 0, 1, 1], { estimator: "rloo", groupSize: 2, klPenalty }).advantages, [0.98, -0.98, 0.05, -0.05]);
  });

  it("rejects an unknown estimator", () => {
    expect(() => estimateAdvantages([1], { estimator: "gae" as "grpo", groupSize: 1 })).toThrow(AdvantageError);
  });
});

describe("multi-reward aggregation", () => {
  const scores = [
    { name: "accuracy", weight: 1, values: [1, 0, 0, 1] },
    { name: "format", weight: 0.5, values: [1, 1, 0, 1] },
  ];

  it("sum_then_normalize is the weighted sum", () => {
    close(aggregateRewards(scores, 4, 4, "sum_then_normalize") as number[], [1.5, 0.5, 0, 1.5]);
  });

  it("normalize_then_sum normalises each reward within its group, then sums with the weights", () => {
    const acc = 0.5 / (Math.sqrt(1 / 3) + 1e-4);
    const fmt = [0.25 / (0.5 + 1e-4), -0.75 / (0.5 + 1e-4)];
    const total = aggregateRewards(scores, 4, 4, "normalize_then_sum") as number[];
    close(total, [acc + 0.5 * fmt[0], -acc + 0.5 * fmt[0], -acc + 0.5 * fmt[1], acc + 0.5 * fmt[0]]);
    // grpo then normalises the aggregated reward over the batch (TRL).
    const mean = total.reduce((a, b) => a + b, 0) / 4;
    const std = Math.sqrt(total.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    close(estimateAdvantages(total, { estimator: "grpo", groupSize: 4, batchNormalize: true }).advantages, total.map((r) => (r - mean) / (std + 1e-4)));
  });

  it("skips nulls: a row no reward applies to stays null", () => {
    const withNull = [
      { name: "a", weight: 1, values: [1, null, 0, null] },
      { name: "b", weight: 1, values: [null, null, 2, 4] },
    ];
    const total = aggregateRewards(withNull, 4, 4, "normalize_then_sum");
    const sa = Math.SQRT1_2;
    const sb = Math.SQRT2;
    close([total[0]!, total[2]!, total[3]!], [0.5 / (sa + 1e-4), -0.5 / (sa + 1e-4) - 1 / (sb + 1e-4), 1 / (sb + 1e-4)]);
    expect(total[1]).toBeNull();
    expect(() => aggregateRewards(withNull, 4, 4, "mean" as "sum_then_normalize")).toThrow(/rewardAggregation must be one of/);
  });
});
