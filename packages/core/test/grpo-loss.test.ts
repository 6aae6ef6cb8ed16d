/**
 * Golden values of GRPO's loss, KL and clip fractions for one fixed batch, computed by hand from
 * docs/grpo-algorithm.md (the numbers were worked out in float64 outside this code base and pasted as literals).
 * Batch: 2 sequences x 3 completion tokens; the last token of sequence 0 is padding.
 */
import { describe, expect, it } from "vitest";
import { type LossType, grpoLoss, GrpoLossError, tensor, valueAndGradsOf, tidy, variable, dispose } from "../src/index.ts";

const LOGP = [[-1.0, -0.5, -2.0], [-0.3, -1.2, -0.8]];
const OLD = [[-1.4, -0.2, -2.0], [-0.6, -1.2, -0.1]];
const REF = [[-0.9, -0.6, -1.5], [-0.3, -1.0, -0.9]];
const ADV = [0.5, -1.0];
const MASK = [[1, 1, 0], [1, 1, 1]];
const OPTIONS = { epsilonLow: 0.2, epsilonHigh: 0.28, maxCompletionLength: 4 };

// Hand-computed: per token rho = exp(logp - old); l = -min(rho A, clip(rho) A) + beta kl.
const GOLDEN: Record<LossType, { beta004: number; beta0: number }> = {
  grpo: { beta004: 0.27264920821320937, beta0: 0.2723741903441192 },
  bnpo: { beta004: 0.4281799275454907, beta0: 0.42788993944702886 },
  dr_grpo: { beta004: 0.2676124547159317, beta0: 0.267431212154393 },
  // dapo with globalActiveTokens = 10 (the accumulated batch had 10 active tokens, this micro-batch 5).
  dapo: { beta004: 0.21408996377274536, beta0: 0.21394496972351443 },
};
const KL = 0.0072497024615473474;

function inputs() {
  return {
    logProbs: tensor(LOGP),
    oldLogProbs: tensor(OLD),
    refLogProbs: tensor(REF),
    advantages: tensor(ADV),
    mask: tensor(MASK),
  };
}

describe("grpoLoss golden values", () => {
  for (const lossType of ["grpo", "bnpo", "dr_grpo", "dapo"] as const) {
    for (const beta of [0.04, 0]) {
      it(`${lossType}, beta ${beta}`, () => {
        const x = inputs();
        const out = grpoLoss(x, { ...OPTIONS, lossType, beta, globalActiveTokens: lossType === "dapo" ? 10 : undefined });
        const expected = beta > 0 ? GOLDEN[lossType].beta004 : GOLDEN[lossType].beta0;
        expect(out.loss.itemSync()).toBeCloseTo(expected, 6);
        if (beta > 0) expect(out.kl!.itemSync()).toBeCloseTo(KL, 7);
        else expect(out.kl).toBeUndefined();
        // Token (0,0): rho = e^0.4 = 1.49 > 1.28 with A > 0 (high); token (1,2): rho = e^-0.7 = 0.50 < 0.8 with A < 0 (low).
        expect(out.clipHigh.itemSync()).toBeCloseTo(1 / 5, 7);
        expect(out.clipLow.itemSync()).toBeCloseTo(1 / 5, 7);
        expect(out.clipRegion.itemSync()).toBeCloseTo(2 / 5, 7);
        dispose([x, out]);
      });
    }
  }

  it("micro-batches divide grpo, bnpo and dr_grpo but not dapo", () => {
    const x = inputs();
    for (const lossType of ["grpo", "bnpo", "dr_grpo"] as const) {
      const out = grpoLoss(x, { ...OPTIONS, lossType, beta: 0.04, microBatches: 4 });
      expect(out.loss.itemSync()).toBeCloseTo(GOLDEN[lossType].beta004 / 4, 7);
      dispose(out);
    }
    const dapo = grpoLoss(x, { ...OPTIONS, lossType: "dapo", beta: 0.04, microBatches: 4, globalActiveTokens: 10 });
    expect(dapo.loss.itemSync()).toBeCloseTo(GOLDEN.dapo.beta004, 7);
    // Without a global count dapo normalises by this batch's 5 active tokens, like bnpo.
    const local = grpoLoss(x, { ...OPTIONS, lossType: "dapo", beta: 0.04 });
    expect(local.loss.itemSync()).toBeCloseTo(GOLDEN.bnpo.beta004, 7);
    dispose([x, dapo, local]);
  });

  it("gradient: zero where the clip binds, the k3 KL gradient beta (1 - e^(ref - logp)) there", () => {
    const lp = variable(tensor(LOGP), "logp");
    const x = { ...inputs(), logProbs: lp };
    const { value, grads } = valueAndGradsOf(() => grpoLoss(x, { ...OPTIONS, lossType: "bnpo", beta: 0.04 }).loss, [lp]);
    // Central finite differences of the hand formula (float64), step 1e-6.
    const expected = [[-0.0008413673091567375, -0.07332052140429646, 0.0], [0.26997176150178603, 0.1982287779200842, 0.0007613006614004547]];
    const got = grads[0].dataSync();
    expected.flat().forEach((g, i) => expect(got[i]).toBeCloseTo(g, 5));
    // Token (0,0) is clipped high: only the KL term moves it, beta (1 - e^0.1) / 5 active tokens.
    expect(got[0]).toBeCloseTo((0.04 * (1 - Math.exp(0.1))) / 5, 6);
    dispose([value, grads, lp, x]);
  });

  it("first pass (no old log-probs): rho = 1, loss = -mean A, gradient -A m / N", () => {
    const lp = variable(tensor(LOGP), "logp");
    const { value, grads } = valueAndGradsOf(
      () => grpoLoss({ logProbs: lp, advantages: tensor(ADV), mask: tensor(MASK) }, { ...OPTIONS, lossType: "bnpo", beta: 0 }).loss,
      [lp],
    );
    // Two active tokens with A = 0.5, three with A = -1: -(2 * 0.5 - 3) / 5 = 0.4.
    expect(value.itemSync()).toBeCloseTo(0.4, 7);
    const got = grads[0].dataSync();
    [-0.1, -0.1, 0, 0.2, 0.2, 0.2].forEach((g, i) => expect(got[i]).toBeCloseTo(g, 7));
    dispose([value, grads, lp]);
  });

  it("rejects bad options and mismatched shapes with a GrpoLossError naming them", () => {
    tidy(() => {
      const x = inputs();
      expect(() => grpoLoss(x, { ...OPTIONS, lossType: "ppo" as LossType, beta: 0 })).toThrow(/lossType must be one of grpo, bnpo, dr_grpo, dapo, got "ppo"/);
      expect(() => grpoLoss({ ...x, refLogProbs: undefined }, { ...OPTIONS, lossType: "grpo", beta: 0.1 })).toThrow(/beta = 0.1 > 0 needs refLogProbs/);
      expect(() => grpoLoss({ ...x, mask: tensor([[1, 1]]) }, { ...OPTIONS, lossType: "grpo", beta: 0 })).toThrow(GrpoLossError);
      expect(() => grpoLoss({ ...x, advantages: tensor([1, 2, 3]) }, { ...OPTIONS, lossType: "grpo", beta: 0 })).toThrow(/advantages must be \[2\]/);
      expect(() => grpoLoss(x, { ...OPTIONS, lossType: "grpo", beta: 0, epsilonLow: 1.5 })).toThrow(/epsilonLow must be < 1/);
      return tensor([0]);
    }).dispose();
  });
});
