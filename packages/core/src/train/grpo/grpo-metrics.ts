/**
 * GRPO's per-step metrics, under TRL's names where TRL has one (docs/grpo.md has the table):
 * rewards and their spread, completion lengths, the loss terms, clipping, the sampler/trainer mismatch,
 * dynamic sampling's counts, and where the step's time went.
 */
import type { RewardScores } from "../../reward/runner.ts";
import { meanAndStd } from "./advantages.ts";
import type { RolloutGroups } from "./rollout-groups.ts";

/** The update's token-weighted means (first pass over the rollouts) and the gradient norm. */
export interface UpdateSums {
  loss: number;
  kl: number;
  clipLow: number;
  clipHigh: number;
  clipRegion: number;
  entropy: number;
  gradNorm: number;
  activeTokens: number;
}

export interface StepFacts {
  step: number;
  learningRate: number;
  /** Whether a KL term is computed (beta > 0). */
  withKl: boolean;
  /** The KL penalty's mean per token when it goes into the reward (klIn "reward"). */
  rewardKl?: number;
  fracRewardZeroStd: number;
  /** Rollout correction statistics, when on. */
  sampling?: { logpDifferenceMean: number; logpDifferenceMax: number; ratioMin: number; ratioMean: number; ratioMax: number; cappedFraction: number };
  /** Optimizer steps between the policy that sampled the step's rollouts and the one it trains (maxStaleness > 0). */
  policyLag: number;
  /** Dynamic sampling's counts, when on. */
  dynamicSampling?: { rounds: number; generated: number; dropped: number; surplus: number; filled: number };
  seconds: { rollout: number; reward: number; train: number; total: number };
}

const valid = (values: readonly (number | null)[]): number[] => values.filter((v): v is number => v !== null && !Number.isNaN(v));

export function grpoStepMetrics(groups: RolloutGroups, scores: RewardScores, train: UpdateSums, facts: StepFacts): Record<string, number> {
  const total = meanAndStd(valid(scores.total));
  const m: Record<string, number> = {
    step: facts.step,
    reward: total.mean,
    reward_std: total.std,
    frac_reward_zero_std: facts.fracRewardZeroStd,
  };
  for (const name of scores.names) {
    const { mean, std } = meanAndStd(valid(scores.perReward[name]));
    m[`rewards/${name}/mean`] = mean;
    m[`rewards/${name}/std`] = std;
  }
  const lengths = groups.completionIds.map((ids) => ids.length);
  const terminated = lengths.filter((_, i) => groups.finishReasons[i] !== "length");
  const stats = (xs: number[], key: string) => {
    m[`completions/mean_${key}`] = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    m[`completions/min_${key}`] = xs.length ? Math.min(...xs) : 0;
    m[`completions/max_${key}`] = xs.length ? Math.max(...xs) : 0;
  };
  stats(lengths, "length");
  stats(terminated, "terminated_length");
  m["completions/clipped_ratio"] = (lengths.length - terminated.length) / Math.max(lengths.length, 1);
  Object.assign(m, {
    loss: train.loss,
    entropy: train.entropy,
    "clip_ratio/low_mean": train.clipLow,
    "clip_ratio/high_mean": train.clipHigh,
    "clip_ratio/region_mean": train.clipRegion,
    grad_norm: train.gradNorm,
    learning_rate: facts.learningRate,
    tokens: train.activeTokens,
    policy_lag: facts.policyLag,
  });
  if (facts.withKl) m.kl = facts.rewardKl ?? train.kl;
  if (facts.sampling) {
    const s = facts.sampling;
    Object.assign(m, {
      "sampling/sampling_logp_difference/mean": s.logpDifferenceMean,
      "sampling/sampling_logp_difference/max": s.logpDifferenceMax,
      "sampling/importance_sampling_ratio/min": s.ratioMin,
      "sampling/importance_sampling_ratio/mean": s.ratioMean,
      "sampling/importance_sampling_ratio/max": s.ratioMax,
      "sampling/importance_sampling_ratio/capped_fraction": s.cappedFraction,
    });
  }
  if (facts.dynamicSampling) {
    const d = facts.dynamicSampling;
    Object.assign(m, {
      "dynamic_sampling/rounds": d.rounds,
      "dynamic_sampling/generated_groups": d.generated,
      "dynamic_sampling/dropped_groups": d.dropped,
      "dynamic_sampling/surplus_groups": d.surplus,
      "dynamic_sampling/filled_groups": d.filled,
    });
  }
  Object.assign(m, { rolloutSeconds: facts.seconds.rollout, rewardSeconds: facts.seconds.reward, trainSeconds: facts.seconds.train, stepSeconds: facts.seconds.total });
  return m;
}
