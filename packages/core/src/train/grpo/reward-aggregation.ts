/**
 * How several reward functions become one reward per completion (`rewardAggregation`, TRL's
 * multi_objective_aggregation):
 *
 *   sum_then_normalize  r_i = sum_k w_k r_k,i, normalised afterwards by the advantage estimator (GRPO)
 *   normalize_then_sum  r_i = sum_k w_k (r_k,i - mean_g(r_k)) / (std_g(r_k) + 1e-4): each reward is
 *                       normalised within its group first, so a high-variance reward cannot drown the
 *                       others (GDPO, Liu et al. 2026); the advantage then normalises over the batch
 *
 * A null (or NaN) score means "not applicable": it is skipped in the sums and the statistics, and a
 * row that no reward applies to has a null total.
 */
import { ADVANTAGE_EPS, AdvantageError, type WeightedScores, combineRewards, meanAndStd } from "./advantages.ts";

export const REWARD_AGGREGATIONS = ["sum_then_normalize", "normalize_then_sum"] as const;

export type RewardAggregation = (typeof REWARD_AGGREGATIONS)[number];

export function aggregateRewards(scores: readonly WeightedScores[], rows: number, groupSize: number, aggregation: RewardAggregation): (number | null)[] {
  if (aggregation === "sum_then_normalize") return combineRewards(scores, rows);
  if (aggregation !== "normalize_then_sum") throw new AdvantageError(`rewardAggregation must be one of ${REWARD_AGGREGATIONS.join(", ")}, got ${JSON.stringify(aggregation)}`);
  if (rows % groupSize !== 0) throw new AdvantageError(`${rows} rows do not split into groups of ${groupSize}`);
  const normalised = scores.map((s) => {
    if (s.values.length !== rows) throw new AdvantageError(`reward "${s.name}" returned ${s.values.length} scores for ${rows} rows`);
    const values: (number | null)[] = new Array(rows).fill(null);
    for (let g = 0; g < rows / groupSize; g++) {
      const members = s.values.slice(g * groupSize, (g + 1) * groupSize);
      const { mean, std } = meanAndStd(members.filter((v): v is number => v !== null && !Number.isNaN(v)));
      members.forEach((v, j) => {
        if (v !== null && !Number.isNaN(v)) values[g * groupSize + j] = (v - mean) / (std + ADVANTAGE_EPS);
      });
    }
    return { ...s, values };
  });
  return combineRewards(normalised, rows);
}
