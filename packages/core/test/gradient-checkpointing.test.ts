import { beforeAll, describe, expect, it } from "vitest";
import {
  TransformerLM,
  type TransformerConfigInput,
  add,
  checkpoint,
  dispose,
  exp,
  memory,
  moeGates,
  mul,
  peakMemoryBytes,
  presetConfig,
  resetPeakMemory,
  setBackend,
  sum,
  tensor,
  tidy,
  valueAndGradsOf,
  variable,
} from "../src/index.ts";

const LLAMA: TransformerConfigInput = { vocabSize: 23, dim: 16, nLayers: 3, nHeads: 4, nKvHeads: 2, interDim: 40, maxSeqLen: 32, initStd: 0.2, seed: 5 };
const DEEPSEEK: TransformerConfigInput = presetConfig("tiny-deepseek", {
  vocabSize: 20, dim: 16, interDim: 24, moeInterDim: 8, nLayers: 2, nDenseLayers: 1, nHeads: 2,
  qLoraRank: 8, kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, maxSeqLen: 32, initStd: 0.3, seed: 3,
  balanceLossAlpha: 0.01,
});

function batch(vocab: number, b: number, s: number, seed: number) {
  const ids = Int32Array.from({ length: b * (s + 1) }, (_, i) => (i * 7 + seed * 13 + ((i * i) % 5)) % vocab);
  const inputs = new Int32Array(b * s);
  const targets = new Int32Array(b * s);
  for (let r = 0; r < b; r++) for (let t = 0; t < s; t++) {
    inputs[r * s + t] = ids[r * (s + 1) + t];
    targets[r * s + t] = ids[r * (s + 1) + t + 1];
  }
  return { inputs: tensor(inputs, [b, s], "i32"), targets: tensor(targets, [b, s], "i32") };
}

/** Loss, every gradient (host copies) and the peak bytes held while taking them. */
function lossAndGrads(model: TransformerLM, checkpointed: boolean, b = 4, s = 12) {
  model.setGradientCheckpointing(checkpointed);
  const { inputs, targets } = batch(model.config.vocabSize, b, s, 1);
  resetPeakMemory();
  const before = memory().numBytes;
  // The training forward: MoE layers count expert loads and add their balance loss.
  const { value, grads } = valueAndGradsOf(() => model.loss(inputs, targets, undefined, { countLoad: true }), model.parameters());
  const peak = peakMemoryBytes() - before;
  const out = { loss: value.dataSync()[0], grads: grads.map((g) => Array.from(g.dataSync())), peak };
  dispose([value, grads, inputs, targets]);
  model.setGradientCheckpointing(false);
  return out;
}

beforeAll(async () => {
  await setBackend("reference");
});

describe("gradient checkpointing", () => {
  it("gives bit-identical gradients on a Llama-style model, for less peak memory", () => {
    const model = new TransformerLM(LLAMA);
    const plain = lossAndGrads(model, false);
    const ckpt = lossAndGrads(model, true);
    expect(ckpt.loss).toBe(plain.loss);
    expect(ckpt.grads.length).toBe(plain.grads.length);
    ckpt.grads.forEach((g, i) => expect(g).toEqual(plain.grads[i]));
    expect(ckpt.peak).toBeLessThan(plain.peak);
    model.dispose();
  });

  it("gives bit-identical gradients with MLA, MoE and its balance loss, counting expert loads once", () => {
    const model = new TransformerLM(DEEPSEEK);
    const loads = () => moeGates(model).map((g) => { const t = g.takeLoad(); const v = t ? Array.from(t.dataSync()) : []; t?.dispose(); return v; });
    loads();
    const plain = lossAndGrads(model, false);
    const plainLoads = loads();
    const ckpt = lossAndGrads(model, true);
    const ckptLoads = loads();
    expect(ckpt.loss).toBe(plain.loss);
    ckpt.grads.forEach((g, i) => expect(g).toEqual(plain.grads[i]));
    expect(plainLoads.flat().reduce((a, v) => a + v, 0)).toBeGreaterThan(0);
    expect(ckptLoads).toEqual(plainLoads);
    model.dispose();
  });

  it("leaks no tensors and leaves inference untouched", () => {
    const model = new TransformerLM(LLAMA);
    const { inputs } = batch(LLAMA.vocabSize, 2, 6, 2);
    const plain = tidy(() => model.forward(inputs));
    model.setGradientCheckpointing(true);
    const before = memory().numTensors;
    const again = tidy(() => model.forward(inputs));
    expect(Array.from(again.dataSync())).toEqual(Array.from(plain.dataSync()));
    again.dispose();
    lossAndGrads(model, true, 2, 5);
    expect(memory().numTensors).toBe(before);
    dispose([plain, inputs]);
    model.dispose();
  });

  it("differentiates a checkpointed function of several outputs through its inputs and captured tensors", () => {
    // f(x) = [sum(exp(x * w)), sum(x * x)] with w captured; d/dx of out0 * 2 + out1 * 3 = 2 w exp(x w) + 6 x.
    const w = variable(tensor([0.5, -1, 2]), "w");
    const x = variable(tensor([1, 0.25, -0.5]), "x");
    const { value, grads } = valueAndGradsOf(() => {
      const [a, b] = checkpoint((t) => [sum(exp(mul(t, w))), sum(mul(t, t))], [x], [w]);
      return add(mul(a, 2), mul(b, 3));
    }, [x, w]);
    const xv = [1, 0.25, -0.5];
    const wv = [0.5, -1, 2];
    const dx = Array.from(grads[0].dataSync());
    const dw = Array.from(grads[1].dataSync());
    xv.forEach((xi, i) => {
      expect(dx[i]).toBeCloseTo(2 * wv[i] * Math.exp(xi * wv[i]) + 6 * xi, 5);
      expect(dw[i]).toBeCloseTo(2 * xi * Math.exp(xi * wv[i]), 5);
    });
    expect(value.dataSync()[0]).toBeCloseTo(2 * xv.reduce((a, xi, i) => a + Math.exp(xi * wv[i]), 0) + 3 * xv.reduce((a, xi) => a + xi * xi, 0), 5);
    dispose([value, grads, w, x]);
  });

  it("fails at once when the function reads a watched tensor it did not declare", () => {
    const w = variable(tensor([1, 2]), "w");
    const x = variable(tensor([3, 4]), "x");
    expect(() => valueAndGradsOf(() => sum(checkpoint((t) => [mul(t, w)], [x], [])[0]), [x, w])).toThrow(/checkpoint: Mul reads tensor #\d+ \[2\] "w", which gradients flow to/);
    // Outside a gradient computation nothing is watched, so nothing needs declaring.
    const plain = checkpoint((t) => [mul(t, w)], [x], [])[0];
    expect(Array.from(plain.dataSync())).toEqual([3, 8]);
    dispose([plain, w, x]);
  });
});
