/**
 * The per-token policy loss given the importance weight w (token [B, T] or sequence [B, 1] level, see
 * importance-weights.ts) and advantages A ([B, 1] or [B, T]):
 *
 *   clip   l = -min(min(w, delta) A, clamp(w, 1 - epsLow, 1 + epsHigh) A)   (PPO / GRPO, DeepSeekMath eq. 3;
 *          delta, when set, caps the unclipped ratio: INTELLECT-2's two-sided clip, which bounds the
 *          loss of tokens with A < 0 and a large ratio, as verl's dual-clip constant clip_ratio_c)
 *   cispo  l = -sg(min(w, 1 + epsHigh)) A log pi_theta                      (MiniMax-M1's CISPO, eq. 4:
 *          the weight is truncated and detached, so every token keeps a gradient, through log pi)
 *
 * and which tokens the clip bound: low (w < 1 - epsLow, A < 0), high (w > 1 + epsHigh, A > 0); for
 * CISPO, high counts the tokens whose weight was truncated.
 */
import { cast, clamp, exp, greater, less, minimum, mul, neg, stopGradient } from "../../ops/elementwise.ts";
import { tidy } from "../../memory.ts";
import type { Tensor } from "../../tensor/tensor.ts";

export const POLICY_LOSSES = ["clip", "cispo"] as const;

export type PolicyLoss = (typeof POLICY_LOSSES)[number];

export interface PolicyObjectiveOptions {
  policyLoss: PolicyLoss;
  epsilonLow: number;
  epsilonHigh: number;
  /** Cap of the unclipped ratio in `clip` (INTELLECT-2); undefined: none. */
  delta?: number;
}

export interface PolicyObjective {
  /** Per-token loss, broadcast to at least the shapes of w and A. */
  perToken: Tensor;
  /** 1 where the lower / upper clip binds (no gradient), broadcast like perToken. */
  clippedLow: Tensor;
  clippedHigh: Tensor;
}

export function policyObjective(logWeights: Tensor, advantages: Tensor, logProbs: Tensor, options: PolicyObjectiveOptions): PolicyObjective {
  const { policyLoss, epsilonLow, epsilonHigh, delta } = options;
  return tidy(() => {
    const w = exp(logWeights);
    const wd = stopGradient(w);
    if (policyLoss === "cispo") {
      const weight = stopGradient(minimum(w, 1 + epsilonHigh));
      const perToken = neg(mul(mul(weight, advantages), logProbs));
      const clippedHigh = cast(greater(wd, 1 + epsilonHigh), "f32");
      return { perToken, clippedLow: mul(clippedHigh, 0), clippedHigh };
    }
    const clipped = clamp(w, 1 - epsilonLow, 1 + epsilonHigh);
    const unclipped = delta === undefined ? w : minimum(w, delta);
    const perToken = neg(minimum(mul(unclipped, advantages), mul(clipped, advantages)));
    const positive = cast(greater(advantages, 0), "f32");
    const negative = cast(less(advantages, 0), "f32");
    return {
      perToken,
      clippedLow: mul(cast(less(wd, 1 - epsilonLow), "f32"), negative),
      clippedHigh: mul(cast(greater(wd, 1 + epsilonHigh), "f32"), positive),
    };
  });
}
