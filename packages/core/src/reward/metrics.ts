/** Per-reward statistics for logging (docs/grpo-algorithm.md metrics: reward mean/std and per-reward mean/std). */
import type { RewardValue } from "./reward.ts";
import type { RewardScores } from "./runner.ts";

export interface ScoreStats {
  /** Mean over the rows where the reward applied (NaN if none did). */
  mean: number;
  /** Population standard deviation over the same rows. */
  std: number;
  /** Rows where it applied, and where it returned null. */
  count: number;
  nulls: number;
}

export function scoreStats(scores: readonly RewardValue[]): ScoreStats {
  const values = scores.filter((s): s is number => s !== null);
  const count = values.length;
  const mean = count === 0 ? NaN : values.reduce((a, b) => a + b, 0) / count;
  const std = count === 0 ? NaN : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / count);
  return { mean, std, count, nulls: scores.length - count };
}

/** Flat metrics: `reward/mean`, `reward/std` (of the totals) and `rewards/<name>/mean`, `rewards/<name>/std`. */
export function rewardMetrics(scores: RewardScores): Record<string, number> {
  const total = scoreStats(scores.total);
  const metrics: Record<string, number> = { "reward/mean": total.mean, "reward/std": total.std };
  for (const name of scores.names) {
    const s = scoreStats(scores.perReward[name]);
    metrics[`rewards/${name}/mean`] = s.mean;
    metrics[`rewards/${name}/std`] = s.std;
  }
  return metrics;
}
