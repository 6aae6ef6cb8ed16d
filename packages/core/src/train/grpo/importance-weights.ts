/**
 * The importance ratio of the clipped objective, at the token or the sequence level:
 *
 *   token     log w_t = log pi_theta(o_t) - log pi_old(o_t)                      (GRPO, PPO)
 *   sequence  log w   = (1 / |o|) sum_t m_t (log pi_theta(o_t) - log pi_old(o_t)) (GSPO, Zheng et al. 2025, eq. 7)
 *
 * The sequence ratio is the geometric mean of the token ratios: one weight [B, 1] per completion, so a
 * completion is clipped (or not) as a whole; the gradient flows to every one of its tokens.
 */
import { div, maximum, mul, sub } from "../../ops/elementwise.ts";
import { reshape } from "../../ops/layout.ts";
import { sum } from "../../ops/reduce.ts";
import { tidy } from "../../memory.ts";
import type { Tensor } from "../../tensor/tensor.ts";

export const IMPORTANCE_SAMPLING_LEVELS = ["token", "sequence"] as const;

export type ImportanceSamplingLevel = (typeof IMPORTANCE_SAMPLING_LEVELS)[number];

/** log w: [B, T] at the token level, [B, 1] at the sequence level. */
export function logImportanceWeights(logProbs: Tensor, oldLogProbs: Tensor, mask: Tensor, level: ImportanceSamplingLevel): Tensor {
  return tidy(() => {
    const logRatio = sub(logProbs, oldLogProbs);
    if (level === "token") return logRatio;
    const [b] = logProbs.shape;
    return reshape(div(sum(mul(logRatio, mask), 1), maximum(sum(mask, 1), 1)), [b, 1]);
  });
}
