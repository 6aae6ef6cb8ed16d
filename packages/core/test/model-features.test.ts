/**
 * The transformer features Hugging Face models need, each against its formula: llama3 / linear / dynamic
 * RoPE scaling, YaRN's table factor, Qwen3's per-head q/k norms, MoE weight normalisation and V2's group
 * scoring, moe_layer_freq, FP8 block-stored weights, and undrawn initialisation for loading.
 */
import { describe, expect, it } from "vitest";
import {
  CausalSelfAttention,
  Generator,
  Linear,
  ModelConfigError,
  MoEGate,
  TransformerLM,
  dequantizeBlockWeight,
  dequantizeBlocks,
  engine,
  linear,
  quantizeWeights,
  ropeFrequencies,
  ropeTableFactor,
  ropeTables,
  tensor,
  tidy,
  transformerConfig,
} from "../src/index.ts";

const base = (j: number, d: number, theta: number) => Math.pow(theta, (-2 * j) / d);

describe("RoPE scalings from Hugging Face configs", () => {
  it("llama3: high frequencies kept, low ones divided by the factor, the band between blended", () => {
    const s = { type: "llama3" as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxSeqLen: 64 };
    const f = ropeFrequencies({ headDim: 16, theta: 1e4, maxSeqLen: 256, scaling: s });
    // Wavelengths 2 pi / freq: j=0 6.3 (< 64/4 = 16: kept), j=1 19.9 and j=2 62.8 (in [16, 64]: blended), j>=3 > 64 (divided by 8).
    expect(f[0]).toBe(base(0, 16, 1e4));
    for (const j of [1, 2]) {
      const fj = base(j, 16, 1e4);
      const smooth = (64 / ((2 * Math.PI) / fj) - 1) / (4 - 1);
      expect(f[j]).toBeCloseTo(((1 - smooth) * fj) / 8 + smooth * fj, 15);
    }
    for (let j = 3; j < 8; j++) expect(f[j]).toBeCloseTo(base(j, 16, 1e4) / 8, 18);
  });

  it("linear divides every frequency; dynamic is plain RoPE up to its original context and refuses to run beyond it", () => {
    const lin = ropeFrequencies({ headDim: 8, theta: 100, maxSeqLen: 64, scaling: { type: "linear", factor: 2 } });
    for (let j = 0; j < 4; j++) expect(lin[j]).toBeCloseTo(base(j, 8, 100) / 2, 15);
    const dyn = ropeFrequencies({ headDim: 8, theta: 100, maxSeqLen: 64, scaling: { type: "dynamic", factor: 2, originalMaxSeqLen: 64 } });
    expect(Array.from(dyn)).toEqual(Array.from(ropeFrequencies({ headDim: 8, theta: 100, maxSeqLen: 64 })));
    const cfg = { vocabSize: 10, dim: 8, nLayers: 1, nHeads: 2, interDim: 8, maxSeqLen: 128 };
    expect(() => transformerConfig({ ...cfg, ropeScaling: { type: "dynamic", factor: 2, originalMaxSeqLen: 64 } })).toThrow(/dynamic NTK scaling beyond originalMaxSeqLen \(64\) is not implemented/);
    expect(() => transformerConfig({ ...cfg, ropeScaling: { type: "llama3", factor: 8, lowFreqFactor: 4, highFreqFactor: 1, originalMaxSeqLen: 64 } })).toThrow(ModelConfigError);
    expect(() => transformerConfig({ ...cfg, ropeScaling: { type: "linear" } as never })).toThrow(/ropeScaling.factor" is required/);
  });

  it("YaRN's attentionFactor multiplies the cos/sin tables (so each rotated score by its square); always-on YaRN rescales within the original context", () => {
    const yarn = { type: "yarn" as const, factor: 4, originalMaxSeqLen: 16, betaFast: 32, betaSlow: 1, mscale: 0, attentionFactor: 1.25, alwaysOn: true };
    expect(ropeTableFactor(yarn, 8)).toBe(1.25);
    expect(ropeTableFactor({ ...yarn, alwaysOn: false }, 8)).toBe(1);
    expect(ropeTableFactor({ type: "none" })).toBe(1);
    const f = ropeFrequencies({ headDim: 8, theta: 1e4, maxSeqLen: 8, scaling: yarn });
    expect(f[3]).toBeCloseTo(base(3, 8, 1e4) / 4, 15);
    const { cos, sin } = ropeTables([0.5], [2], undefined, 1.25);
    expect(cos.dataSync()[0]).toBeCloseTo(Math.cos(1) * 1.25, 6);
    expect(sin.dataSync()[0]).toBeCloseTo(Math.sin(1) * 1.25, 6);
    cos.dispose();
    sin.dispose();
  });
});

describe("Qwen3 q_norm / k_norm", () => {
  it("normalises every query and key head (headDim wide) before RoPE; o_proj takes its own bias flag", () => {
    const attn = new CausalSelfAttention({ dim: 8, nHeads: 2, nKvHeads: 1, headDim: 6, ropeInterleaved: false, qkNorm: true, normEps: 1e-6, outputBias: true }, { generator: new Generator(3) });
    const names = [...attn.namedParameters().keys()];
    expect(names).toEqual(["q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight", "o_proj.bias", "q_norm.weight", "k_norm.weight"]);
    expect(attn.q_norm!.weight.shape).toEqual([6]);
    // With identity rotation (cos 1, sin 0), q equals RMSNorm of each head of q_proj(x).
    const x = tensor(Array.from({ length: 8 }, (_, i) => Math.sin(i + 1)), [1, 1, 8]);
    const tables = { cos: tensor([1, 1, 1], [1, 3]), sin: tensor([0, 0, 0], [1, 3]) };
    const { q } = attn.projectQKV(x, tables);
    const raw = linear(x, attn.q_proj.weight).dataSync();
    const got = q.dataSync();
    for (let h = 0; h < 2; h++) {
      const head = Array.from(raw.slice(h * 6, h * 6 + 6));
      const rms = Math.sqrt(head.reduce((a, v) => a + v * v, 0) / 6 + 1e-6);
      head.forEach((v, i) => expect(got[h * 6 + i]).toBeCloseTo(v / rms, 5));
    }
    attn.dispose();
  });
});

describe("MoE routing options", () => {
  const x = tensor(Array.from({ length: 3 * 4 }, (_, i) => Math.cos(1.7 * i)), [3, 4]);

  it("normTopkProb off leaves the chosen sigmoid scores as they are (times routeScale); on, they sum to routeScale", () => {
    const make = (normTopkProb: boolean) => new MoEGate({ dim: 4, nRoutedExperts: 4, nActivatedExperts: 2, scoreFunc: "sigmoid", routeScale: 2, normTopkProb }, { generator: new Generator(5), std: 1 });
    const off = make(false).route(x);
    const on = make(true).route(x);
    const scores = off.scores.dataSync();
    const idx = off.indices.dataSync();
    const w = off.weights.dataSync();
    for (let t = 0; t < 3; t++) for (let k = 0; k < 2; k++) expect(w[t * 2 + k]).toBeCloseTo(2 * scores[t * 4 + idx[t * 2 + k]], 6);
    const won = on.weights.dataSync();
    for (let t = 0; t < 3; t++) expect(won[t * 2] + won[t * 2 + 1]).toBeCloseTo(2, 6);
  });

  it("groupScoring max (DeepSeek-V2) ranks groups by their best expert, top2Sum (V3) by the sum of their best two", () => {
    // Logits straight from one-hot rows: scores follow the weight's columns.
    const gate = (groupScoring: "max" | "top2Sum") => {
      const g = new MoEGate({ dim: 4, nRoutedExperts: 4, nActivatedExperts: 1, nExpertGroups: 2, nLimitedGroups: 1, scoreFunc: "sigmoid", routerBias: false, groupScoring });
      // Expert scores for the single token: group 0 = [0.9, -3] (max high, sum low), group 1 = [0.8, 0.7].
      g.weight.assign(tensor([0.9, 0, 0, 0, -3, 0, 0, 0, 0.8, 0, 0, 0, 0.7, 0, 0, 0], [4, 4]));
      return g;
    };
    const token = tensor([1, 0, 0, 0], [1, 4]);
    expect(Array.from(gate("max").route(token).indices.dataSync())).toEqual([0]);
    expect(Array.from(gate("top2Sum").route(token).indices.dataSync())).toEqual([2]);
  });

  it("moe_layer_freq: after the dense layers, only every n-th layer is MoE", () => {
    const m = new TransformerLM({ vocabSize: 16, dim: 8, nLayers: 5, nHeads: 2, interDim: 8, nRoutedExperts: 4, nActivatedExperts: 1, moeInterDim: 4, nDenseLayers: 1, moeLayerFreq: 2 });
    const kinds = [...m.model.layers].map((l) => l.mlp.constructor.name);
    expect(kinds).toEqual(["SwiGLU", "SwiGLU", "MoE", "SwiGLU", "MoE"]);
    m.dispose();
  });
});

describe("FP8 block-stored weights (DeepSeek-V3's release form)", () => {
  it("dequantizeBlockWeight equals dequantizeBlocks, partial edge blocks included", () => {
    const gen = new Generator(1);
    const rows = 200;
    const cols = 300;
    const w = Float32Array.from({ length: rows * cols }, () => gen.normal() * 0.1);
    const q = quantizeWeights(w, rows, cols);
    const out = tidy(() => dequantizeBlockWeight(engine.makeTensor(q.codes, [rows, cols], "f8e4m3"), engine.makeTensor(q.scales, [2, 3], "f32")).dataSync());
    expect(Array.from(out)).toEqual(Array.from(dequantizeBlocks(q)));
  });

  it("a Linear with fp8Weight holds E4M3 codes and weight_scale_inv (not trainable) and multiplies by their dequantised values", () => {
    const lin = new Linear(130, 3, { fp8Weight: true });
    expect([...lin.namedParameters().keys()]).toEqual(["weight", "weight_scale_inv"]);
    expect(lin.weight.dtype).toBe("f8e4m3");
    expect(lin.weight_scale_inv!.shape).toEqual([1, 2]);
    expect(lin.weight.trainable || lin.weight_scale_inv!.trainable).toBe(false);
    const gen = new Generator(2);
    const w = Float32Array.from({ length: 3 * 130 }, () => gen.normal());
    const q = quantizeWeights(w, 3, 130);
    lin.weight.assign(engine.makeTensor(q.codes, [3, 130], "f8e4m3"));
    lin.weight_scale_inv!.assign(engine.makeTensor(q.scales, [1, 2], "f32"));
    const x = tensor(Array.from({ length: 130 }, (_, i) => Math.sin(i)), [1, 130]);
    const y = lin.forward(x).dataSync();
    const expected = linear(x, engine.makeTensor(dequantizeBlocks(q), [3, 130], "f32")).dataSync();
    for (let i = 0; i < 3; i++) expect(y[i]).toBeCloseTo(expected[i], 4);
    lin.dispose();
  });
});

describe("initialisation", () => {
  it("empty: zeroed weights without draws; the seeded init is unchanged", () => {
    const cfg = { vocabSize: 16, dim: 8, nLayers: 1, nHeads: 2, interDim: 8, seed: 4 };
    const a = new TransformerLM(cfg);
    const b = new TransformerLM(cfg);
    const e = new TransformerLM(cfg, { empty: true });
    const w = "model.layers.0.self_attn.q_proj.weight";
    expect(Array.from(a.namedParameters().get(w)!.dataSync())).toEqual(Array.from(b.namedParameters().get(w)!.dataSync()));
    expect(a.namedParameters().get(w)!.dataSync().some((v) => v !== 0)).toBe(true);
    expect(e.namedParameters().get(w)!.dataSync().every((v) => v === 0)).toBe(true);
    for (const m of [a, b, e]) m.dispose();
  });
});
