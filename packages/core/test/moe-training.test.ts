/**
 * MoE training wiring: every trainer adds the sequence-wise balance loss (alpha from the trainer's
 * options, default the model config's) and runs the auxiliary-loss-free bias update after each step
 * (gamma configurable; 0 = off); expert loads are counted by training forwards only, not by generation
 * nor by GRPO's old / reference log-prob passes.
 */
import { describe, expect, it } from "vitest";
import {
  GRPOTrainer, MOE_LOAD_METRIC, SFTTrainer, type SequenceRow, type TransformerConfigInput, TransformerLM, batchTensors, createRewardRunner, defineReward,
  moeGates, packSequences, presetConfig, tidy,
} from "../src/index.ts";

const MOE: TransformerConfigInput = presetConfig("tiny-deepseek", {
  vocabSize: 8, dim: 16, interDim: 24, moeInterDim: 8, nLayers: 2, nDenseLayers: 1, nHeads: 2,
  qLoraRank: 0, kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, maxSeqLen: 16, initStd: 0.3, seed: 3,
});
const ROW: SequenceRow[] = [{ prompt: [1, 2, 3], completion: [4, 5, 6, 0] }];
const bias = (m: TransformerLM) => Array.from(moeGates(m)[0].e_score_correction_bias!.dataSync());
/** The (token, expert) assignments counted since the last update, over every gate; the counts restart. */
const countedLoad = (m: TransformerLM) => moeGates(m).reduce((a, g) => {
  const load = g.takeLoad();
  const n = load ? Array.from(load.dataSync() as Float32Array).reduce((x, y) => x + y, 0) : 0;
  load?.dispose();
  return a + n;
}, 0);

describe("MoE training wiring", () => {
  it("runs the bias update after every step (gamma configurable, 0 = off) and logs the max/mean load", async () => {
    const on = new TransformerLM(MOE);
    const trainer = new SFTTrainer(on, ROW, { steps: 1, batchSize: 1, lr: 0.01, moe: { biasUpdateSpeed: 0.01 } });
    const [m] = await trainer.train();
    expect((m as unknown as Record<string, number>)[MOE_LOAD_METRIC]).toBeGreaterThanOrEqual(1);
    expect(bias(on).every((b) => [-0.01, 0, 0.01].some((v) => Math.abs(b - v) < 1e-9))).toBe(true);
    expect(bias(on).some((b) => b !== 0)).toBe(true);
    const off = new TransformerLM(MOE);
    const still = new SFTTrainer(off, ROW, { steps: 1, batchSize: 1, lr: 0.01, moe: { biasUpdateSpeed: 0 } });
    await still.train();
    expect(bias(off).every((b) => b === 0)).toBe(true);
    for (const t of [trainer, still]) t.dispose();
    for (const x of [on, off]) x.dispose();
  });

  it("adds the balance loss with the trainer's alpha: the step's loss grows by exactly alpha * L_bal", async () => {
    const first = async (alpha: number) => {
      const m = new TransformerLM(MOE);
      const t = new SFTTrainer(m, ROW, { steps: 1, batchSize: 1, lr: 0.01, moe: { balanceLossAlpha: alpha, biasUpdateSpeed: 0 } });
      const [h] = await t.train();
      t.dispose();
      m.dispose();
      return h.loss;
    };
    const model = new TransformerLM(MOE);
    const b = batchTensors(packSequences(ROW, { padId: 0 }));
    const aux = tidy(() => model.forwardWithAux(b.inputs, { balanceLossAlpha: 0.5 }).auxLoss!).itemSync();
    expect(aux).toBeGreaterThan(0);
    expect((await first(0.5)) - (await first(0))).toBeCloseTo(aux, 5);
    model.dispose();
    b.inputs.dispose();
    b.targets.dispose();
    b.mask.dispose();
  });

  it("counts expert loads in GRPO's training forwards only: not in generation, old or reference passes", async () => {
    const reward = defineReward({ name: "r", score: (batch) => batch.completions.map((c) => c.length % 2) });
    const run = async (config: { beta: number; numIterations: number }) => {
      const model = new TransformerLM(MOE);
      const trainer = new GRPOTrainer({
        model, tokenizer: { encode: () => [1, 2], decode: (ids) => ids.join(" ") }, eosTokenId: 0, rewards: createRewardRunner([{ reward }]),
        prompts: () => ({ prompt: "?", columns: {} }), config: { steps: 1, promptsPerStep: 2, groupSize: 2, maxNewTokens: 3, lr: 0.01, seed: 1, moe: { biasUpdateSpeed: 0 }, ...config },
      });
      await trainer.train();
      const counted = countedLoad(model);
      trainer.dispose();
      model.dispose();
      return counted;
    };
    const once = await run({ beta: 0, numIterations: 1 });
    expect(once).toBeGreaterThan(0);
    // Two training forwards (numIterations 2); the old-policy and reference passes (beta > 0) count nothing.
    expect(await run({ beta: 0.1, numIterations: 2 })).toBe(2 * once);
  });
});
