/**
 * Truncated importance weights of stale rollouts (the rollout correction token_truncate, with the cap
 * rollout.importanceCap): golden values from the formula, and their place in the loss.
 */
import { describe, expect, it } from "vitest";
import { grpoLoss, rolloutCorrectionWeights, tensor, tidy } from "../src/index.ts";

const close = (a: number, b: number, tol = 1e-5) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThan(tol);

describe("stale-rollout importance weights", () => {
  it("w = min(exp(old - sampler), C) on active tokens, 1 on masked ones; statistics of the weights over the active tokens", () => {
    const old = tensor([[-1, -2, 0], [-0.2, -0.3, -0.4]], [2, 3]);
    const sampler = tensor([[-1.5, -1, -3], [-0.2, -0.1, -5]], [2, 3]);
    const mask = tensor([[1, 1, 0], [1, 1, 1]], [2, 3]);
    const r = rolloutCorrectionWeights(old, sampler, mask, "token_truncate", 1.5);
    const w = Array.from(r.weights.dataSync());
    const ratios = [Math.exp(0.5), Math.exp(-1), 1, 1, Math.exp(-0.2), Math.exp(4.6)];
    [Math.min(ratios[0], 1.5), ratios[1], 1, 1, ratios[4], 1.5].forEach((v, i) => close(w[i], v));
    const active = [Math.min(ratios[0], 1.5), ratios[1], ratios[3], ratios[4], 1.5];
    close(r.ratioMean.dataSync()[0], active.reduce((a, b) => a + b, 0) / 5, 1e-4);
    close(r.ratioMin.dataSync()[0], Math.exp(-1));
    close(r.ratioMax.dataSync()[0], 1.5);
    close(r.cappedFraction.dataSync()[0], 2 / 5);
    // |old - sampler| over the active tokens: 0.5, 1, 0, 0.2, 4.6.
    close(r.logpDifferenceMean.dataSync()[0], (0.5 + 1 + 0 + 0.2 + 4.6) / 5);
    close(r.logpDifferenceMax.dataSync()[0], 4.6, 1e-5);
  });

  it("multiplies each token's policy term (not the KL term)", () => {
    const inputs = {
      logProbs: tensor([[-1, -0.5], [-2, -0.1]], [2, 2]),
      refLogProbs: tensor([[-1.2, -0.4], [-1.9, -0.3]], [2, 2]),
      advantages: tensor([1, -0.5], [2]),
      mask: tensor([[1, 1], [1, 0]], [2, 2]),
    };
    const options = { lossType: "bnpo" as const, epsilonLow: 0.2, epsilonHigh: 0.2, maxCompletionLength: 2 };
    tidy(() => {
      const plain = grpoLoss(inputs, { ...options, beta: 0 }).loss.dataSync()[0];
      const weights = tensor([[2, 0.5], [3, 7]], [2, 2]);
      const weighted = grpoLoss({ ...inputs, rolloutWeights: weights }, { ...options, beta: 0 }).loss.dataSync()[0];
      // bnpo: sum over active tokens of -A w / 3 (rho = 1 on the first pass).
      close(plain, -(1 + 1 - 0.5) / 3);
      close(weighted, -(2 * 1 + 0.5 * 1 + 3 * -0.5) / 3);
      const klOnly = grpoLoss({ ...inputs, rolloutWeights: weights }, { ...options, beta: 1 }).loss.dataSync()[0] - weighted;
      const k3 = (d: number) => Math.exp(d) - d - 1;
      close(klOnly, (k3(-0.2) + k3(0.1) + k3(0.1)) / 3);
    });
  });
});
