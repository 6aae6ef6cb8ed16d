/**
 * Rollout/trainer mismatch correction (truncated importance sampling, TIS; Yao et al. 2025, "Your
 * efficient RL framework secretly brings you off-policy RL training"). The sampler that drew the
 * rollouts (another engine, backend or precision) and the trainer's recomputation at rollout time
 * disagree slightly; each token's policy loss is weighted by the ratio of the trainer's probability to
 * the sampler's, capped at C:
 *
 *   token_truncate     w_t = min(exp(old_t - sampler_t), C)
 *   token_mask         w_t = exp(old_t - sampler_t), or 0 where it exceeds C
 *   sequence_truncate  w   = min(exp(sum_t m_t (old_t - sampler_t)), C)       one weight per completion
 *   sequence_mask      w   = exp(sum_t m_t (old_t - sampler_t)), or 0 where it exceeds C
 *
 * (as TRL's vllm_importance_sampling_mode / _cap). The weights carry no gradient: they are fixed for the
 * whole batch of rollouts. The same weights correct stale rollouts (maxStaleness > 0, docs/distributed.md),
 * where the sampler is an older policy: token_truncate with the cap rollout.importanceCap.
 */
import { abs, cast, div, exp, greater, maximum, minimum, mul, neg, sub, where } from "../../ops/elementwise.ts";
import { reshape } from "../../ops/layout.ts";
import { max, sum } from "../../ops/reduce.ts";
import { noGrad, tidy } from "../../memory.ts";
import type { Tensor } from "../../tensor/tensor.ts";

export const ROLLOUT_CORRECTIONS = ["none", "token_truncate", "token_mask", "sequence_truncate", "sequence_mask"] as const;

export type RolloutCorrection = (typeof ROLLOUT_CORRECTIONS)[number];

export interface RolloutCorrectionResult {
  /** The weights: [B, T] (token modes) or [B, 1] (sequence modes). */
  weights: Tensor;
  /** Scalars (TRL's metric names): mean and max |old - sampler| over active tokens; min, mean, max of the weights. */
  logpDifferenceMean: Tensor;
  logpDifferenceMax: Tensor;
  ratioMin: Tensor;
  ratioMean: Tensor;
  ratioMax: Tensor;
  /** The fraction of the active tokens (sequence modes: completions) whose ratio exceeds C (truncated or masked). */
  cappedFraction: Tensor;
}

/** Far beyond any weight, yet finite on every backend (for masked min / max). */
const FAR = 1e30;

export function rolloutCorrectionWeights(
  trainerLogProbs: Tensor,
  samplerLogProbs: Tensor,
  mask: Tensor,
  mode: Exclude<RolloutCorrection, "none">,
  cap: number,
): RolloutCorrectionResult {
  return noGrad(() =>
    tidy(() => {
      const [b] = mask.shape;
      const diff = mul(sub(trainerLogProbs, samplerLogProbs), mask);
      const sequence = mode.startsWith("sequence");
      const ratio = exp(sequence ? reshape(sum(diff, 1), [b, 1]) : diff);
      const weights = mode.endsWith("truncate") ? minimum(ratio, cap) : where(greater(ratio, cap), 0, ratio);
      // Statistics over the tokens (or, at the sequence level, the completions) that count.
      const active = sequence ? reshape(cast(greater(sum(mask, 1), 0), "f32"), [b, 1]) : mask;
      const on = cast(active, "bool");
      const count = maximum(sum(active), 1);
      const absDiff = abs(diff);
      return {
        weights,
        logpDifferenceMean: div(sum(absDiff), maximum(sum(mask), 1)),
        logpDifferenceMax: max(absDiff),
        ratioMin: neg(max(where(on, neg(weights), -FAR))),
        ratioMean: div(sum(mul(weights, active)), count),
        ratioMax: max(where(on, weights, -FAR)),
        cappedFraction: div(sum(mul(cast(greater(ratio, cap), "f32"), active)), count),
      };
    }),
  );
}
