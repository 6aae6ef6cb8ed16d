import { describe, expect, it } from "vitest";
import {
  MODEL_PRESETS,
  ModelConfigError,
  TransformerLM,
  type TransformerConfigInput,
  UnknownPresetError,
  countParameters,
  memory,
  presetConfig,
  transformerConfig,
} from "../src/index.ts";

describe("DeepSeek presets (docs/mla.md)", () => {
  it("deepseek-v3-671b: 671B total (within 1%), 37B activated (within 2%), 576 vs 40960 cache values", () => {
    const n = countParameters(presetConfig("deepseek-v3-671b"));
    expect(Math.abs(n.params / 671e9 - 1)).toBeLessThan(0.01);
    expect(Math.abs(n.activatedParams / 37e9 - 1)).toBeLessThan(0.02);
    // Exact: 2 x 129280 x 7168 (embedding, head) + 61 layers of MLA + 3 dense MLPs + 58 MoE layers (+ norms and router biases).
    expect(n.params).toBe(671_026_419_200);
    expect(n.kvCacheValuesPerTokenPerLayer).toEqual({ mla: 512 + 64, naive: 128 * (192 + 128) });
    expect(n.embedding).toBe(129280 * 7168);
    expect(n.routedExperts).toBe(58 * 256 * 3 * 7168 * 2048);
  });

  it("deepseek-v2-lite-16b: 15.7B total", () => {
    const n = countParameters(presetConfig("deepseek-v2-lite-16b"));
    expect(Math.abs(n.params / 15.7e9 - 1)).toBeLessThan(0.01);
    expect(n.kvCacheValuesPerTokenPerLayer).toEqual({ mla: 576, naive: 16 * 320 });
    const c = transformerConfig(presetConfig("deepseek-v2-lite-16b"));
    expect(c).toMatchObject({ qLoraRank: 0, scoreFunc: "softmax", routerBias: false, nSharedExperts: 2, nActivatedExperts: 6 });
  });

  it("resolves the configs of docs/mla.md with YaRN (softmax scale gets mscale^2)", () => {
    const c = transformerConfig(presetConfig("deepseek-v3-671b"));
    expect(c.ropeScaling).toEqual({ type: "yarn", factor: 40, originalMaxSeqLen: 4096, betaFast: 32, betaSlow: 1, mscale: 1 });
    expect(c).toMatchObject({ attention: "mla", headDim: 192, maxSeqLen: 16384, ropeTheta: 1e4, ropeInterleaved: true, routeScale: 2.5, routerBias: true });
  });
});

describe("Llama/Qwen presets", () => {
  it("match the published sizes: Qwen2.5-0.5B 494M, Llama-3.2-1B 1.24B", () => {
    expect(countParameters(presetConfig("qwen2.5-0.5b")).params).toBe(494_032_768);
    expect(countParameters(presetConfig("llama-3.2-1b")).params).toBe(1_235_814_400);
    const q = countParameters(presetConfig("qwen2.5-1.5b"));
    expect(Math.abs(q.params / 1.54e9 - 1)).toBeLessThan(0.01);
    expect(q.kvCacheValuesPerTokenPerLayer).toEqual({ mla: null, naive: 2 * 2 * 128 });
  });
});

describe("counting without weights agrees with built models", () => {
  const cases: [string, TransformerConfigInput][] = [
    ["tiny-llama", presetConfig("tiny-llama")],
    ["tiny-deepseek", presetConfig("tiny-deepseek")],
    ["MLA without query compression, softmax MoE without bias", presetConfig("tiny-deepseek", { qLoraRank: 0, scoreFunc: "softmax", nExpertGroups: 1, nLimitedGroups: 1, nSharedExperts: 0 })],
    ["MoE in every layer, tied embeddings", presetConfig("tiny-deepseek", { nDenseLayers: 0, tieEmbeddings: true })],
    ["GQA with biases and tied embeddings", presetConfig("tiny-llama", { attentionBias: true, tieEmbeddings: true })],
    ["GQA attention with MoE", presetConfig("tiny-llama", { nRoutedExperts: 4, nActivatedExperts: 1, moeInterDim: 16, nSharedExperts: 2, nDenseLayers: 2 })],
  ];
  it.each(cases)("%s", (_name, config) => {
    const before = memory().numTensors;
    const model = new TransformerLM(config);
    const n = countParameters(config);
    expect(n.params).toBe(model.numParameters());
    const c = model.config;
    if (c.nRoutedExperts > 0) {
      const moeLayers = c.nLayers - c.nDenseLayers;
      const inactive = moeLayers * (c.nRoutedExperts - c.nActivatedExperts) * 3 * c.dim * c.moeInterDim;
      expect(n.activatedParams).toBe(n.params - inactive - (c.tieEmbeddings ? 0 : n.embedding - c.dim));
    }
    model.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe("presetConfig", () => {
  it("copies a preset with overrides and names unknown presets", () => {
    const a = presetConfig("tiny-deepseek", { vocabSize: 50 });
    expect(a.vocabSize).toBe(50);
    expect(MODEL_PRESETS["tiny-deepseek"].vocabSize).toBe(256);
    expect(() => presetConfig("deepseek-v4")).toThrow(UnknownPresetError);
    expect(() => presetConfig("deepseek-v4")).toThrow(/presets: deepseek-v3-671b, deepseek-v2-lite-16b/);
  });

  it("rejects inconsistent MoE fields with the field's name", () => {
    expect(() => transformerConfig(presetConfig("tiny-deepseek", { nActivatedExperts: 9 }))).toThrow(ModelConfigError);
    expect(() => transformerConfig(presetConfig("tiny-deepseek", { nActivatedExperts: 9 }))).toThrow(/"nActivatedExperts" must be in \[1, nRoutedExperts \(8\)\]/);
    expect(() => transformerConfig(presetConfig("tiny-deepseek", { nExpertGroups: 3 }))).toThrow(/"nExpertGroups" must be a divisor of nRoutedExperts/);
    expect(() => transformerConfig(presetConfig("tiny-deepseek", { attention: "mqa" as never }))).toThrow(/"attention" must be "gqa" or "mla"/);
    expect(() => transformerConfig(presetConfig("tiny-deepseek", { qkRopeHeadDim: 7 }))).toThrow(/"qkRopeHeadDim" must be even/);
  });
});

describe("Hugging Face config.json mapping", () => {
  it("Qwen2.5-0.5B and DeepSeek-V2-Lite HF configs give the presets' models", async () => {
    const { fromHfConfig, HfConfigError } = await import("../src/index.ts");
    const qwen = {
      model_type: "qwen2", vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
      num_key_value_heads: 2, rope_theta: 1000000, rms_norm_eps: 1e-6, max_position_embeddings: 32768, tie_word_embeddings: true, rope_scaling: null,
    };
    expect(transformerConfig(fromHfConfig(qwen))).toEqual(transformerConfig(presetConfig("qwen2.5-0.5b")));
    const lite = {
      model_type: "deepseek_v2", vocab_size: 102400, hidden_size: 2048, intermediate_size: 10944, moe_intermediate_size: 1408, num_hidden_layers: 27,
      first_k_dense_replace: 1, num_attention_heads: 16, num_key_value_heads: 16, n_routed_experts: 64, n_shared_experts: 2, num_experts_per_tok: 6,
      n_group: 1, topk_group: 1, topk_method: "greedy", scoring_func: "softmax", routed_scaling_factor: 1.0, q_lora_rank: null, kv_lora_rank: 512,
      qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128, rope_theta: 10000, max_position_embeddings: 163840, rms_norm_eps: 1e-6,
      rope_scaling: { type: "yarn", factor: 40, original_max_position_embeddings: 4096, beta_fast: 32, beta_slow: 1, mscale: 0.707, mscale_all_dim: 0.707 },
    };
    const mapped = transformerConfig(fromHfConfig(lite));
    // HF models rescale with YaRN at every length (alwaysOn); with maxSeqLen > originalMaxSeqLen the preset does too: the same model.
    expect(mapped.ropeScaling).toMatchObject({ alwaysOn: true });
    expect({ ...mapped, maxSeqLen: 16384, ropeScaling: { ...mapped.ropeScaling, alwaysOn: undefined } }).toEqual(transformerConfig(presetConfig("deepseek-v2-lite-16b")));
    expect(() => fromHfConfig({ model_type: "gpt2" })).toThrow(HfConfigError);
    expect(() => fromHfConfig({ ...qwen, hidden_size: "wide" })).toThrow(/"hidden_size" must be an integer, got "wide"/);
  });

  it("loadHfConfig reads config.json and names the file in every error", async () => {
    const { loadHfConfig, HfConfigError } = await import("../src/index.ts");
    const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "r1ts-hf-config-"));
    try {
      const file = join(dir, "config.json");
      const llama = { model_type: "llama", vocab_size: 256, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 };
      await writeFile(file, JSON.stringify(llama));
      expect((await loadHfConfig(file)).nKvHeads).toBe(2);
      await writeFile(file, JSON.stringify({ ...llama, num_key_value_heads: 3 }));
      await expect(loadHfConfig(file)).rejects.toThrow(`${file} (llama): model config: "nKvHeads" must be a divisor of nHeads (4), got 3`);
      await writeFile(file, JSON.stringify({ ...llama, vocab_size: "big" }));
      await expect(loadHfConfig(file)).rejects.toThrow(`${file} (llama): "vocab_size" must be an integer, got "big"`);
      await writeFile(file, "{");
      await expect(loadHfConfig(file)).rejects.toThrow(HfConfigError);
      await expect(loadHfConfig(join(dir, "missing.json"))).rejects.toThrow(/missing.json: cannot read it/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
