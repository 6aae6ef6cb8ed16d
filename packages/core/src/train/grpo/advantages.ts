/**
 * GRPO's rewards and advantages (DeepSeekMath §4.1.2, outcome supervision): every token of completion i
 * gets A_i = (r_i - mean(r_group)) / (std(r_group) + 1e-4), where r_i is the weighted sum of the reward
 * functions (docs/grpo-algorithm.md). A null score means "not applicable" and is skipped in the sum; a row that no
 * reward applies to has a null total, takes no part in the statistics, and gets advantage 0.
 */
import { R1tsError } from "../../errors.ts";

/** How advantages are scaled: by the group's std (GRPO), the whole batch's std, or not at all (Dr. GRPO). */
export const SCALE_REWARDS = ["group", "batch", "none"] as const;

export type ScaleRewards = (typeof SCALE_REWARDS)[number];

/** The epsilon added to the std in the advantage's denominator. */
export const ADVANTAGE_EPS = 1e-4;

/** One reward function's scores over the batch, with its weight in the total. */
export interface WeightedScores {
  readonly name: string;
  readonly weight: number;
  readonly values: readonly (number | null)[];
}

/** Bad shapes of reward or advantage inputs. */
export class AdvantageError extends R1tsError {}

/** total_i = sum_k w_k r_k,i over the rewards that apply to row i (null/NaN skipped); null if none applies. */
export function combineRewards(scores: readonly WeightedScores[], rows: number): (number | null)[] {
  for (const s of scores) {
    if (s.values.length !== rows) throw new AdvantageError(`reward "${s.name}" returned ${s.values.length} scores for ${rows} rows`);
  }
  const totals: (number | null)[] = [];
  for (let i = 0; i < rows; i++) {
    let total: number | null = null;
    for (const s of scores) {
      const v = s.values[i];
      if (v === null || Number.isNaN(v)) continue;
      total = (total ?? 0) + s.weight * v;
    }
    totals.push(total);
  }
  return totals;
}

export interface Advantages {
  /** One advantage per row (broadcast over that completion's tokens). */
  readonly advantages: Float64Array;
  /** Mean and std of each group's applicable rewards (NaN for a group with none). */
  readonly groupMean: Float64Array;
  readonly groupStd: Float64Array;
  /** Fraction of groups whose applicable rewards are all equal: they teach nothing (advantage 0). */
  readonly fracRewardZeroStd: number;
}

/** Sample mean and unbiased (n - 1) std, as torch.std; std 0 for fewer than two values. */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: 0 };
  const sq = values.reduce((a, b) => a + (b - mean) * (b - mean), 0);
  return { mean, std: Math.sqrt(sq / (n - 1)) };
}

/**
 * Advantages of `rewards` laid out group after group (rows g*G .. g*G + G - 1 are the G completions of
 * prompt g). scale "group": divide by the group's std + eps; "batch": by the std of every applicable
 * reward of the batch + eps (the mean stays per group); "none": no division (Dr. GRPO).
 */
export function groupAdvantages(rewards: readonly (number | null)[], groupSize: number, scale: ScaleRewards = "group"): Advantages {
  if (!Number.isSafeInteger(groupSize) || groupSize <= 0) throw new AdvantageError(`groupSize must be a positive integer, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) throw new AdvantageError(`${rewards.length} rewards do not split into groups of ${groupSize}`);
  if (!SCALE_REWARDS.includes(scale)) throw new AdvantageError(`scaleRewards must be one of ${SCALE_REWARDS.join(", ")}, got ${JSON.stringify(scale)}`);
  const groups = rewards.length / groupSize;
  const groupMean = new Float64Array(groups);
  const groupStd = new Float64Array(groups);
  let zeroStd = 0;
  for (let g = 0; g < groups; g++) {
    const valid = applicable(rewards.slice(g * groupSize, (g + 1) * groupSize));
    const { mean, std } = meanAndStd(valid);
    groupMean[g] = mean;
    groupStd[g] = std;
    if (valid.length === 0 || std === 0) zeroStd++;
  }
  const batchStd = meanAndStd(applicable(rewards)).std;
  const advantages = new Float64Array(rewards.length);
  for (let i = 0; i < rewards.length; i++) {
    const r = rewards[i];
    if (r === null || Number.isNaN(r)) continue;
    const g = Math.floor(i / groupSize);
    const centred = r - groupMean[g];
    if (scale === "none") advantages[i] = centred;
    else advantages[i] = centred / ((scale === "group" ? groupStd[g] : batchStd) + ADVANTAGE_EPS);
  }
  return { advantages, groupMean, groupStd, fracRewardZeroStd: groups === 0 ? 0 : zeroStd / groups };
}

function applicable(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null && !Number.isNaN(v));
}
