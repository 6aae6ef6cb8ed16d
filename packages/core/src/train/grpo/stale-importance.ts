/**
 * Truncated importance sampling (TIS) for rollouts sampled by an older policy (async rollouts,
 * `maxStaleness` > 0; docs/distributed.md). Each token's policy loss is weighted by the ratio of the
 * policy that the update starts from (pi_old: the current weights, or the frozen pass when numIterations
 * > 1) to the sampler's probability, capped at C:
 *
 *   w_t = min(exp(old_t - sampler_t), C)          (no gradient; 1 where old = sampler)
 *
 * so the update is an importance-weighted policy gradient whose variance the cap bounds.
 */
import { cast, div, exp, greater, maximum, minimum, mul, neg, stopGradient, sub, where } from "../../ops/elementwise.ts";
import { max, sum } from "../../ops/reduce.ts";
import { tidy } from "../../memory.ts";
import type { Tensor } from "../../tensor/tensor.ts";

export interface StaleImportance {
  /** w_t [B, T]. */
  weights: Tensor;
  /** Over the active tokens: mean, min and max of the uncapped ratio, and the fraction the cap bound. */
  ratioMean: Tensor;
  ratioMin: Tensor;
  ratioMax: Tensor;
  cappedFraction: Tensor;
}

/** Far beyond any ratio, yet finite on every backend (masked min / max). */
const FAR = 1e30;

export function staleImportanceWeights(oldLogProbs: Tensor, samplerLogProbs: Tensor, mask: Tensor, cap: number): StaleImportance {
  return tidy(() => {
    const ratio = stopGradient(exp(mul(sub(oldLogProbs, samplerLogProbs), mask)));
    const on = cast(mask, "bool");
    const count = maximum(sum(mask), 1);
    return {
      weights: minimum(ratio, cap),
      ratioMean: div(sum(mul(ratio, mask)), count),
      ratioMin: neg(max(where(on, neg(ratio), -FAR))),
      ratioMax: max(where(on, ratio, -FAR)),
      cappedFraction: div(sum(mul(cast(greater(ratio, cap), "f32"), mask)), count),
    };
  });
}
