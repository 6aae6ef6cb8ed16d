/**
 * GRPO's loss variants against golden values computed independently in float64 PyTorch
 * (fixtures/grpo_variants.py writes fixtures/grpo-variants.json), and their gradients against the
 * golden autograd gradients and central finite differences of this code's own loss.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type GrpoLossOptions,
  GrpoLossError,
  type ImportanceSamplingLevel,
  type KlEstimator,
  type LossType,
  type PolicyLoss,
  type RolloutCorrection,
  type Tensor,
  dispose,
  grpoLoss,
  highEntropyMask,
  klEstimate,
  quantile,
  rolloutCorrectionWeights,
  setBackend,
  tensor,
  tidy,
  valueAndGradsOf,
  variable,
} from "../src/index.ts";

interface GoldenCase {
  name: string;
  options: {
    lossType: LossType; beta: number; importanceSampling: ImportanceSamplingLevel; policyLoss: PolicyLoss; delta?: number;
    klEstimator: KlEstimator; entropyCoef: number; rolloutCorrection?: Exclude<RolloutCorrection, "none">; rolloutCorrectionCap: number;
    topEntropyQuantile?: number; tokenAdvantages: boolean; globalActiveTokens?: number;
  };
  loss: number;
  gradLogp: number[];
  gradEntropy: number[];
  clipLow: number;
  clipHigh: number;
  kl?: number;
  rolloutWeights?: number[];
}

const GOLDEN = JSON.parse(readFileSync(new URL("./fixtures/grpo-variants.json", import.meta.url), "utf8")) as {
  inputs: { logp: number[][]; old: number[][]; ref: number[][]; sampler: number[][]; entropy: number[][]; advantages: number[]; tokenAdvantages: number[][]; mask: number[][]; epsilonLow: number; epsilonHigh: number; maxCompletionLength: number };
  cases: GoldenCase[];
  rolloutCorrection: { mode: Exclude<RolloutCorrection, "none">; cap: number; weights: number[]; logpDifferenceMean: number; logpDifferenceMax: number; ratioMin: number; ratioMean: number; ratioMax: number }[];
  entropyMask04: number[];
};
const X = GOLDEN.inputs;

/** The case's loss as a function of logp and entropy values (host arrays), on fresh tensors. */
function lossOf(c: GoldenCase, logp: Tensor, entropy: Tensor): { loss: Tensor; kl?: Tensor; clipLow: Tensor; clipHigh: Tensor; weights?: Tensor } {
  const o = c.options;
  const mask = tensor(X.mask);
  const old = tensor(X.old);
  const weights = o.rolloutCorrection ? rolloutCorrectionWeights(old, tensor(X.sampler), mask, o.rolloutCorrection, o.rolloutCorrectionCap).weights : undefined;
  const entropyMask = o.topEntropyQuantile === undefined ? undefined : tensor(highEntropyMask(X.entropy.flat(), X.mask.flat(), o.topEntropyQuantile), [2, 3]);
  const options: GrpoLossOptions = {
    lossType: o.lossType, beta: o.beta, epsilonLow: X.epsilonLow, epsilonHigh: X.epsilonHigh, maxCompletionLength: X.maxCompletionLength,
    globalActiveTokens: o.globalActiveTokens, importanceSampling: o.importanceSampling, policyLoss: o.policyLoss, delta: o.delta ?? undefined,
    klEstimator: o.klEstimator, entropyCoef: o.entropyCoef,
  };
  const out = grpoLoss({
    logProbs: logp, oldLogProbs: old, refLogProbs: tensor(X.ref), mask,
    advantages: o.tokenAdvantages ? tensor(X.tokenAdvantages) : tensor(X.advantages),
    rolloutWeights: weights, entropyMask, entropy: o.entropyCoef > 0 ? entropy : undefined,
  }, options);
  return { loss: out.loss, kl: out.kl, clipLow: out.clipLow, clipHigh: out.clipHigh, weights };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + 1e-4 * Math.abs(expected[i]))) throw new Error(`element ${i}: ${actual[i]} vs expected ${expected[i]}`);
  }
}

beforeAll(async () => {
  await setBackend("reference");
});

describe("GRPO loss variants: golden values from float64 PyTorch", () => {
  for (const c of GOLDEN.cases) {
    it(c.name, () => {
      const logp = variable(tensor(X.logp), "logp");
      const entropy = variable(tensor(X.entropy), "entropy");
      const metrics = tidy(() => {
        const r = lossOf(c, logp, entropy);
        return { kl: r.kl, low: r.clipLow, high: r.clipHigh, weights: r.weights };
      });
      const { value, grads } = valueAndGradsOf(() => lossOf(c, logp, entropy).loss, [logp, entropy]);
      expect(value.dataSync()[0]).toBeCloseTo(c.loss, 6);
      expectClose(grads[0].dataSync(), c.gradLogp, 1e-6);
      expectClose(grads[1].dataSync(), c.gradEntropy, 1e-7);
      expect(metrics.low.dataSync()[0]).toBeCloseTo(c.clipLow, 6);
      expect(metrics.high.dataSync()[0]).toBeCloseTo(c.clipHigh, 6);
      if (c.kl !== undefined) expect(metrics.kl!.dataSync()[0]).toBeCloseTo(c.kl, 6);
      else expect(metrics.kl).toBeUndefined();
      if (c.rolloutWeights) expectClose(metrics.weights!.dataSync(), c.rolloutWeights, 1e-6);
      dispose([value, grads, metrics, logp, entropy]);
    });
  }
});

describe("GRPO loss variants: gradients by central finite differences", () => {
  // CISPO is left out on purpose: its weight is detached, so its gradient is not the derivative of its
  // value (the golden autograd gradients above check it).
  const names = ["sequence (GSPO) grpo", "two-sided clip delta 1.5", "k2 in the loss", "token_mask correction", "entropy bonus", "per-token advantages"];
  for (const name of names) {
    it(name, () => {
      const c = GOLDEN.cases.find((k) => k.name === name)!;
      const at = (lp: number[][], h: number[][]): number => tidy(() => lossOf(c, tensor(lp), tensor(h)).loss.dataSync()[0]);
      const logp = variable(tensor(X.logp), "logp");
      const entropy = variable(tensor(X.entropy), "entropy");
      const { value, grads } = valueAndGradsOf(() => lossOf(c, logp, entropy).loss, [logp, entropy]);
      const step = 1e-3;
      for (const [which, base] of [[0, X.logp], [1, X.entropy]] as const) {
        const analytic = grads[which].dataSync();
        for (let i = 0; i < 6; i++) {
          const plus = base.map((r) => [...r]);
          const minus = base.map((r) => [...r]);
          plus[Math.floor(i / 3)][i % 3] += step;
          minus[Math.floor(i / 3)][i % 3] -= step;
          const fd = which === 0 ? (at(plus, X.entropy) - at(minus, X.entropy)) / (2 * step) : (at(X.logp, plus) - at(X.logp, minus)) / (2 * step);
          expect(Math.abs(fd - analytic[i])).toBeLessThan(2e-3);
        }
      }
      dispose([value, grads, logp, entropy]);
    });
  }
});

describe("rollout correction (TIS)", () => {
  for (const g of GOLDEN.rolloutCorrection) {
    it(`${g.mode}, cap ${g.cap}: weights and TRL's sampling/* metrics`, () => {
      const r = rolloutCorrectionWeights(tensor(X.old), tensor(X.sampler), tensor(X.mask), g.mode, g.cap);
      expectClose(r.weights.dataSync(), g.weights, 1e-6);
      expect(r.weights.shape).toEqual(g.mode.startsWith("sequence") ? [2, 1] : [2, 3]);
      for (const key of ["logpDifferenceMean", "logpDifferenceMax", "ratioMin", "ratioMean", "ratioMax"] as const) {
        expect(r[key].dataSync()[0]).toBeCloseTo(g[key], 6);
      }
      dispose(r);
    });
  }
});

describe("KL estimators", () => {
  it("k1 = logp - ref, k2 = (logp - ref)^2 / 2, k3 = e^d - d - 1 with d = ref - logp", () => {
    const lp = tensor([-1, -0.5, -2]);
    const ref = tensor([-0.9, -0.6, -1]);
    const d = [0.1, -0.1, 1];
    const values = (e: KlEstimator) => Array.from(tidy(() => klEstimate(lp, ref, e)).dataSync());
    expectClose(values("k1"), d.map((x) => -x), 1e-7);
    expectClose(values("k2"), d.map((x) => (x * x) / 2), 1e-7);
    expectClose(values("k3"), d.map((x) => Math.exp(x) - x - 1), 1e-7);
    dispose([lp, ref]);
  });
});

describe("entropy masking", () => {
  it("keeps the tokens at or above the (1 - rho) quantile of the active tokens' entropies", () => {
    expect(Array.from(highEntropyMask(X.entropy.flat(), X.mask.flat(), 0.4))).toEqual(GOLDEN.entropyMask04);
    // rho = 1 keeps every active token, rho = 0 only the highest.
    expect(Array.from(highEntropyMask(X.entropy.flat(), X.mask.flat(), 1))).toEqual(X.mask.flat());
    expect(Array.from(highEntropyMask(X.entropy.flat(), X.mask.flat(), 0))).toEqual([0, 0, 0, 1, 0, 0]);
    expect(quantile([3, 1, 2, 4], 0.5)).toBeCloseTo(2.5, 12);
    expect(() => highEntropyMask([1], [1], 1.5)).toThrow(/topEntropyQuantile/);
  });
});

describe("GRPO loss variants: bad options", () => {
  const base = () => ({ logProbs: tensor(X.logp), advantages: tensor(X.advantages), mask: tensor(X.mask) });
  const options: GrpoLossOptions = { lossType: "grpo", beta: 0, epsilonLow: 0.2, epsilonHigh: 0.2, maxCompletionLength: 4 };
  it("fail with a GrpoLossError naming the option", () => {
    const x = base();
    expect(() => grpoLoss(x, { ...options, importanceSampling: "word" as ImportanceSamplingLevel })).toThrow(/importanceSampling must be one of token, sequence/);
    expect(() => grpoLoss(x, { ...options, policyLoss: "ppo" as PolicyLoss })).toThrow(GrpoLossError);
    expect(() => grpoLoss(x, { ...options, klEstimator: "k4" as KlEstimator })).toThrow(/klEstimator/);
    expect(() => grpoLoss(x, { ...options, delta: 1.1 })).toThrow(/delta must be a finite number > 1 \+ epsilonHigh/);
    expect(() => grpoLoss(x, { ...options, entropyCoef: 0.1 })).toThrow(/needs the differentiable per-token entropy/);
    expect(() => grpoLoss({ ...x, rolloutWeights: tensor([1, 2, 3]) }, options)).toThrow(/rolloutWeights must be/);
    expect(() => grpoLoss({ ...x, advantages: tensor([[1, 2]]) }, options)).toThrow(/advantages must be/);
    dispose(x);
  });
});
