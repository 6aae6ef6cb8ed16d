/**
 * Advantage estimators (`advantageEstimator`, verl's algorithm.adv_estimator), from one reward per
 * completion laid out group after group (rows g*G .. g*G + G - 1 answer prompt g):
 *
 *   grpo                  A_i = (r_i - mean_g) / (std_g + 1e-4), or the batch std, or no division
 *                         (`scaleRewards`; DeepSeekMath §4.1.2, advantages.ts)
 *   rloo                  A_i = r_i - mean of the other completions of the group = G/(G-1) (r_i - mean_g)
 *                         (leave-one-out baseline; Ahmadian et al. 2024)
 *   reinforce++           A_t = whiten(R_t) over every active token of the batch, R_t the return from token
 *                         t on (REINFORCE++, Hu 2025: no critic, no group baseline)
 *   reinforce++_baseline  A_i = whiten(r_i - mean_g) over every active token of the batch
 *
 * whiten(x) = (x - mean) / sqrt(var + 1e-8) with the token-weighted mean and unbiased variance (verl).
 *
 * With the KL in the reward (`klIn: reward`), the outcome estimators see r_i - beta sum_t kl_t, and
 * reinforce++ sees the per-token rewards -beta kl_t plus r_i at the last token, so its returns
 * R_t = r_i - beta sum_{s >= t} kl_s differ from token to token (gamma = 1).
 * Null rewards (no reward applied) take no part in any statistic and get advantage 0.
 */
import { ADVANTAGE_EPS, AdvantageError, type Advantages, type ScaleRewards, groupAdvantages, meanAndStd } from "./advantages.ts";

export const ADVANTAGE_ESTIMATORS = ["grpo", "rloo", "reinforce++", "reinforce++_baseline"] as const;

export type AdvantageEstimator = (typeof ADVANTAGE_ESTIMATORS)[number];

/** verl's masked_whiten epsilon. */
export const WHITEN_EPS = 1e-8;

export interface AdvantageOptions {
  estimator: AdvantageEstimator;
  groupSize: number;
  /** grpo only. */
  scaleRewards?: ScaleRewards;
  /** Normalise grpo's advantages over the whole batch (mean and std), as after normalize_then_sum (TRL). */
  batchNormalize?: boolean;
  /** Active completion tokens of each row (reinforce++ weights its statistics by them); default 1 each. */
  lengths?: readonly number[];
  /** KL in the reward: beta, and the per-token KL estimate of each row's active tokens. */
  klPenalty?: { beta: number; perToken: readonly (readonly number[])[] };
}

export interface EstimatedAdvantages extends Advantages {
  /** With reinforce++ and the KL in the reward: one advantage per active token of each row. */
  tokenAdvantages?: Float64Array[];
  /** The reward each row's advantage was computed from (after the KL penalty), null where none applied. */
  rewards: (number | null)[];
}

export function estimateAdvantages(rewards: readonly (number | null)[], options: AdvantageOptions): EstimatedAdvantages {
  const { estimator, groupSize, scaleRewards = "group", klPenalty } = options;
  if (!ADVANTAGE_ESTIMATORS.includes(estimator)) throw new AdvantageError(`advantageEstimator must be one of ${ADVANTAGE_ESTIMATORS.join(", ")}, got ${JSON.stringify(estimator)}`);
  const n = rewards.length;
  const lengths = options.lengths ?? new Array<number>(n).fill(1);
  if (lengths.length !== n) throw new AdvantageError(`${lengths.length} lengths for ${n} rows`);
  if (klPenalty && klPenalty.perToken.length !== n) throw new AdvantageError(`${klPenalty.perToken.length} rows of KL values for ${n} rows`);
  // The group statistics of the rewards themselves (fracRewardZeroStd reports them whatever the estimator).
  const plain = groupAdvantages(rewards, groupSize, scaleRewards);
  const klSum = (i: number): number => (klPenalty ? klPenalty.beta * klPenalty.perToken[i].reduce((a, b) => a + b, 0) : 0);
  const penalised = rewards.map((r, i) => (r === null || Number.isNaN(r) ? null : r - klSum(i)));
  const base = { groupMean: plain.groupMean, groupStd: plain.groupStd, fracRewardZeroStd: plain.fracRewardZeroStd, rewards: penalised };

  if (estimator === "grpo") {
    if (options.batchNormalize) return { ...base, advantages: batchNormalized(penalised) };
    return { ...base, advantages: klPenalty ? groupAdvantages(penalised, groupSize, scaleRewards).advantages : plain.advantages };
  }
  if (estimator === "rloo") return { ...base, advantages: leaveOneOut(penalised, groupSize) };
  if (estimator === "reinforce++_baseline") {
    const centred = groupAdvantages(penalised, groupSize, "none").advantages;
    return { ...base, advantages: whitenRows(centred, penalised, lengths) };
  }
  // reinforce++: returns per token when the KL is in the reward, else the outcome reward at every token.
  if (!klPenalty) return { ...base, advantages: whitenRows(Float64Array.from(penalised, (r) => r ?? 0), penalised, lengths) };
  const returns = rewards.map((r, i) => {
    const kl = klPenalty.perToken[i];
    const out = new Float64Array(kl.length);
    let running = r === null || Number.isNaN(r) ? 0 : r;
    for (let t = kl.length - 1; t >= 0; t--) {
      running -= klPenalty.beta * kl[t];
      out[t] = running;
    }
    return out;
  });
  const valid = rewards.map((r) => r !== null && !Number.isNaN(r));
  const all = returns.flatMap((row, i) => (valid[i] ? Array.from(row) : []));
  const { mean, std } = whitenStats(all);
  const tokenAdvantages = returns.map((row, i) => (valid[i] ? row.map((x) => (x - mean) / std) : new Float64Array(row.length)));
  // The per-row advantage (for metrics and logs) is the mean over the row's tokens.
  const advantages = Float64Array.from(tokenAdvantages, (row) => (row.length ? row.reduce((a, b) => a + b, 0) / row.length : 0));
  return { ...base, advantages, tokenAdvantages };
}

function leaveOneOut(rewards: readonly (number | null)[], groupSize: number): Float64Array {
  const out = new Float64Array(rewards.length);
  for (let g = 0; g < rewards.length / groupSize; g++) {
    const idx = Array.from({ length: groupSize }, (_, j) => g * groupSize + j).filter((i) => rewards[i] !== null && !Number.isNaN(rewards[i]));
    const total = idx.reduce((a, i) => a + rewards[i]!, 0);
    for (const i of idx) out[i] = idx.length > 1 ? rewards[i]! - (total - rewards[i]!) / (idx.length - 1) : rewards[i]!;
  }
  return out;
}

/** Whitens per-row values as if repeated over each row's active tokens (rows with a null reward are skipped and get 0). */
function whitenRows(values: Float64Array, rewards: readonly (number | null)[], lengths: readonly number[]): Float64Array {
  const all: number[] = [];
  values.forEach((v, i) => {
    if (rewards[i] !== null && !Number.isNaN(rewards[i])) for (let t = 0; t < lengths[i]; t++) all.push(v);
  });
  const { mean, std } = whitenStats(all);
  return values.map((v, i) => (rewards[i] === null || Number.isNaN(rewards[i]) ? 0 : (v - mean) / std));
}

/** The mean and sqrt(unbiased variance + 1e-8) of verl's masked_whiten. */
function whitenStats(values: readonly number[]): { mean: number; std: number } {
  const { mean, std } = meanAndStd(values);
  if (values.length === 0) return { mean: 0, std: 1 };
  return { mean, std: Math.sqrt(std * std + WHITEN_EPS) };
}

/** (r - mean) / (std + 1e-4) over the whole batch's applicable rewards (TRL after normalize_then_sum). */
function batchNormalized(rewards: readonly (number | null)[]): Float64Array {
  const { mean, std } = meanAndStd(rewards.filter((r): r is number => r !== null && !Number.isNaN(r)));
  return Float64Array.from(rewards, (r) => (r === null || Number.isNaN(r) ? 0 : (r - mean) / (std + ADVANTAGE_EPS)));
}
