import { describe, expect, it } from "vitest";
import {
  ModelConfigError,
  TransformerLM,
  YARN_DEFAULTS,
  type YarnScaling,
  rope,
  ropeAttentionFactor,
  ropeFrequencies,
  tensor,
  tidy,
  transformerConfig,
  yarnCorrectionDim,
  yarnCorrectionRange,
  yarnMscale,
  yarnRamp,
} from "../src/index.ts";

const YARN: YarnScaling = { type: "yarn", ...YARN_DEFAULTS };
// DeepSeek-V3: qk_rope_head_dim 64, rope_theta 1e4, factor 40, original 4096, max_seq_len 16384.
const DS = { headDim: 64, theta: 1e4, maxSeqLen: 16384, scaling: YARN };

describe("YaRN (docs/yarn.md)", () => {
  it("correction dims and range: fcd(32) = 10.472 -> low 10, fcd(1) = 22.513 -> high 23", () => {
    expect(yarnCorrectionDim(32, 64, 1e4, 4096)).toBeCloseTo(10.472, 3);
    expect(yarnCorrectionDim(1, 64, 1e4, 4096)).toBeCloseTo(22.513, 3);
    expect(yarnCorrectionRange(YARN, 64, 1e4)).toEqual([10, 23]);
    // Clamped to [0, dim - 1].
    expect(yarnCorrectionRange({ ...YARN, betaFast: 1e6, betaSlow: 1e-6 }, 64, 1e4)).toEqual([0, 63]);
  });

  it("ramp: 0 up to low, linear to 1 at high, and high += 0.001 when they meet", () => {
    const r = yarnRamp(10, 23, 32);
    expect(r[10]).toBe(0);
    expect(r[16]).toBeCloseTo(6 / 13, 12);
    expect(r[23]).toBe(1);
    expect(r[31]).toBe(1);
    const same = yarnRamp(5, 5, 8);
    expect(same[5]).toBe(0);
    expect(same[6]).toBe(1);
  });

  it("frequencies: pairs j <= 10 keep theta^(-2j/d), j >= 23 are divided by 40, and blend linearly between", () => {
    const f = ropeFrequencies(DS);
    const base = (j: number) => Math.pow(1e4, (-2 * j) / 64);
    for (let j = 0; j <= 10; j++) expect(f[j]).toBe(base(j));
    for (let j = 23; j < 32; j++) expect(f[j]).toBeCloseTo(base(j) / 40, 15);
    for (const j of [11, 16, 22]) {
      const ramp = (j - 10) / 13;
      expect(f[j]).toBeCloseTo((base(j) / 40) * ramp + base(j) * (1 - ramp), 15);
    }
  });

  it("is plain RoPE when maxSeqLen does not exceed the original context", () => {
    const plain = ropeFrequencies({ headDim: 64, theta: 1e4, maxSeqLen: 4096 });
    expect(Array.from(ropeFrequencies({ ...DS, maxSeqLen: 4096 }))).toEqual(Array.from(plain));
    expect(ropeAttentionFactor(YARN, 4096)).toBe(1);
  });

  it("mscale = 0.1 m ln(s) + 1: 1.368888 for factor 40 (m = 1); the softmax scale gets mscale^2", () => {
    expect(yarnMscale(40, 1)).toBeCloseTo(1.368888, 6);
    expect(yarnMscale(40, 0.707)).toBeCloseTo(0.1 * 0.707 * Math.log(40) + 1, 12);
    expect(yarnMscale(1, 1)).toBe(1);
    expect(ropeAttentionFactor(YARN, 16384)).toBeCloseTo(1.368888 ** 2, 5);
    expect(ropeAttentionFactor({ type: "none" }, 16384)).toBe(1);
  });

  it("rope.frequencies(config) gives the f32 frequencies, and rope still rotates", () => {
    const f32 = rope.frequencies(DS);
    expect(f32).toBeInstanceOf(Float32Array);
    expect(Array.from(f32)).toEqual(Array.from(ropeFrequencies(DS), Math.fround));
    const y = tidy(() => rope(tensor([1, 2, 3, 4], [1, 1, 1, 4]), tensor([0, 1], [1, 2]), tensor([1, 0], [1, 2]), { interleaved: true }));
    expect(Array.from(y.dataSync())).toEqual([-2, 1, 3, 4]);
    y.dispose();
  });
});

describe("YaRN in the model config", () => {
  const base = { vocabSize: 10, dim: 8, nLayers: 1, nHeads: 2, interDim: 8, maxSeqLen: 64 };

  it("fills DeepSeek-V3's defaults and scales attention by mscale^2 beyond the original context", () => {
    const c = transformerConfig({ ...base, ropeScaling: { type: "yarn", factor: 4, originalMaxSeqLen: 16 } });
    expect(c.ropeScaling).toEqual({ type: "yarn", factor: 4, originalMaxSeqLen: 16, betaFast: 32, betaSlow: 1, mscale: 1 });
    const model = new TransformerLM({ ...base, ropeScaling: { type: "yarn", factor: 4, originalMaxSeqLen: 16 } });
    const attn = model.model.layers.at(0).self_attn;
    expect(attn.scale).toBeCloseTo(yarnMscale(4, 1) ** 2 / Math.sqrt(4), 12);
    model.dispose();
  });

  it("names the bad field", () => {
    expect(() => transformerConfig({ ...base, ropeScaling: { type: "yarn", factor: 0.5 } })).toThrow(ModelConfigError);
    expect(() => transformerConfig({ ...base, ropeScaling: { type: "yarn", factor: 0.5 } })).toThrow(/ropeScaling.*factor must be a number >= 1, got 0.5/);
    expect(() => transformerConfig({ ...base, ropeScaling: { type: "yarn", betaFast: 1, betaSlow: 2 } })).toThrow(/betaFast > betaSlow/);
    expect(() => transformerConfig({ ...base, ropeScaling: { type: "yarn", fctor: 2 } as never })).toThrow(/ropeScaling.fctor.*not a YaRN field/);
    expect(() => transformerConfig({ ...base, ropeScaling: { type: "ntk" } as never })).toThrow(/ropeScaling/);
  });
});
