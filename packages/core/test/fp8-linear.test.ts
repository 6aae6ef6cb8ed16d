import { describe, expect, it } from "vitest";
import {
  Generator,
  Linear,
  TransformerLM,
  dequantizeBlocks,
  dispose,
  enableFp8Training,
  fp8Gemm,
  fp8Linear,
  fp8QuantDequant,
  linear,
  memory,
  moeGates,
  mul,
  presetConfig,
  quantizeActivations,
  quantizeBlocks,
  quantizeWeights,
  sum,
  tensor,
  tidy,
  valueAndGradsOf,
} from "../src/index.ts";

function randn(n: number, seed: number, std = 1): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n }, () => std * g.normal());
}

describe("FP8 quantisation with ops", () => {
  it("equals the host block quantisers bit for bit (1 x 128 tiles, 128 x 128 blocks, partial blocks)", () => {
    const [rows, cols] = [129, 131];
    const x = randn(rows * cols, 1, 3);
    x[5] = 0; // a zero and a big value
    x[700] = 1000;
    const t = tensor(x, [rows, cols]);
    for (const blockRows of [1, 128]) {
      const ops = tidy(() => fp8QuantDequant(t, blockRows));
      const host = dequantizeBlocks(quantizeBlocks(x, rows, cols, blockRows));
      expect(Array.from(ops.dataSync())).toEqual(Array.from(host));
      ops.dispose();
    }
    t.dispose();
  });
});

describe("fp8Linear", () => {
  const [m, k, n] = [6, 200, 130];
  const xs = randn(m * k, 2);
  const ws = randn(n * k, 3, 0.05);

  it("forward: the product of the dequantised operands; with the emulated accumulator, fp8Gemm exactly", () => {
    const x = tensor(xs, [m, k]);
    const w = tensor(ws, [n, k]);
    const y = tidy(() => fp8Linear(x, w));
    const qa = quantizeActivations(xs, m, k);
    const qb = quantizeWeights(ws, n, k);
    const [da, db] = [dequantizeBlocks(qa), dequantizeBlocks(qb)];
    const got = y.dataSync();
    let worst = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += da[i * k + t] * db[j * k + t];
      worst = Math.max(worst, Math.abs(got[i * n + j] - s) / (1e-3 + Math.abs(s)));
    }
    expect(worst).toBeLessThan(1e-5);
    const emulated = tidy(() => fp8Linear(x, w, undefined, { accumulator: { promotionInterval: 128 } }));
    expect(Array.from(emulated.dataSync())).toEqual(Array.from(fp8Gemm(qa, qb)));
    // Quantisation error vs the f32 product: small, not zero.
    const exact = tidy(() => linear(x, w));
    const e = exact.dataSync();
    let num = 0;
    let den = 0;
    for (let i = 0; i < e.length; i++) {
      num += (got[i] - e[i]) ** 2;
      den += e[i] ** 2;
    }
    const rel = Math.sqrt(num / den);
    expect(rel).toBeGreaterThan(1e-3);
    expect(rel).toBeLessThan(0.1);
    dispose([x, w, y, emulated, exact]);
  });

  it("backward: full-precision gradients, dL/dx = dy W and dL/dW = dy^T x, identical to the f32 layer's", () => {
    const x = tensor(xs, [2, 3, k]);
    const w = tensor(ws, [n, k]);
    const b = tensor(randn(n, 4), [n]);
    const dy = tensor(randn(2 * 3 * n, 5), [2, 3, n]);
    const fp8 = valueAndGradsOf(() => sum(mul(fp8Linear(x, w, b), dy)), [x, w, b]);
    const f32 = valueAndGradsOf(() => sum(mul(linear(x, w, b), dy)), [x, w, b]);
    fp8.grads.forEach((g, i) => expect(Array.from(g.dataSync())).toEqual(Array.from(f32.grads[i].dataSync())));
    expect(fp8.value.itemSync()).not.toBe(f32.value.itemSync());
    dispose([x, w, b, dy, fp8.value, fp8.grads, f32.value, f32.grads]);
  });

  it("rejects mismatched shapes", () => {
    const x = tensor(new Float32Array(6), [2, 3]);
    const w = tensor(new Float32Array(8), [2, 4]);
    expect(() => fp8Linear(x, w)).toThrow(/x \[2,3\] does not fit weight \[2,4\]/);
    dispose([x, w]);
  });
});

describe("enableFp8Training", () => {
  it("switches every Linear but the output head; the loss moves slightly; off again restores it exactly", () => {
    const model = new TransformerLM(presetConfig("tiny-deepseek", { vocabSize: 30, nLayers: 2, dim: 32, interDim: 48, moeInterDim: 16, qLoraRank: 16, kvLoraRank: 16, maxSeqLen: 64, initStd: 0.2 }));
    const tokens = tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 30), [2, 8]);
    const targets = tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 5 + 1) % 30), [2, 8]);
    const before = memory().numTensors;
    const baseLoss = tidy(() => model.loss(tokens, targets));
    const base = baseLoss.itemSync();
    baseLoss.dispose();
    const switched = enableFp8Training(model);
    expect(switched).toContain("model.layers.0.self_attn.q_a_proj");
    expect(switched).toContain("model.layers.1.mlp.experts.0.gate_proj");
    expect(switched).not.toContain("lm_head");
    expect(model.lm_head?.fp8).toBeUndefined();
    const l = tidy(() => model.loss(tokens, targets));
    const fp8 = l.itemSync();
    l.dispose();
    expect(fp8).not.toBe(base);
    expect(Math.abs(fp8 / base - 1)).toBeLessThan(0.05); // quantisation noise of a random model
    const { value, grads } = valueAndGradsOf(() => model.loss(tokens, targets), model.parameters());
    expect(grads.every((g) => Array.from(g.dataSync()).every(Number.isFinite))).toBe(true);
    dispose([value, grads]);
    enableFp8Training(model, { enabled: false });
    const back = tidy(() => model.loss(tokens, targets));
    expect(back.itemSync()).toBe(base);
    back.dispose();
    for (const gate of moeGates(model)) gate.takeLoad()?.dispose(); // loads counted by the forward passes
    expect(memory().numTensors).toBe(before);
    dispose([tokens, targets]);
    model.dispose();
    expect(new Linear(2, 2).fp8).toBeUndefined();
  });
});
