/**
 * Per-token estimators of KL(pi_theta || pi_ref) from one sample, with d = log pi_ref - log pi_theta
 * of the sampled token (Schulman 2020, "Approximating KL Divergence"):
 *
 *   k1 = -d                 unbiased, high variance, can be negative   (verl "kl")
 *   k2 = d^2 / 2            biased, low variance, >= 0                 (verl "mse")
 *   k3 = exp(d) - d - 1     unbiased, low variance, >= 0               (verl "low_var_kl"; GRPO's, DeepSeekMath eq. 4)
 */
import { exp, mul, neg, square, sub } from "../../ops/elementwise.ts";
import { tidy } from "../../memory.ts";
import type { Tensor } from "../../tensor/tensor.ts";

export const KL_ESTIMATORS = ["k1", "k2", "k3"] as const;

export type KlEstimator = (typeof KL_ESTIMATORS)[number];

/** Where the KL penalty goes: a term of the loss (GRPO) or a penalty subtracted from the reward (PPO, REINFORCE++). */
export const KL_PLACEMENTS = ["loss", "reward"] as const;

export type KlPlacement = (typeof KL_PLACEMENTS)[number];

/** The estimator's value at each token: logProbs and refLogProbs of the same shape. */
export function klEstimate(logProbs: Tensor, refLogProbs: Tensor, estimator: KlEstimator = "k3"): Tensor {
  return tidy(() => {
    const d = sub(refLogProbs, logProbs);
    switch (estimator) {
      case "k1":
        return neg(d);
      case "k2":
        return mul(square(d), 0.5);
      case "k3":
        return sub(sub(exp(d), d), 1);
    }
  });
}
