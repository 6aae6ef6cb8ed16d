/**
 * HF config.json <-> r1ts config: published configs of the supported families map without surprises
 * (no unknown-field notices, the right features on), YaRN / MoE fields take their models' meaning, and
 * toHfConfig writes configs that map back to the same model (or fails naming what has no HF form).
 */
import { describe, expect, it } from "vitest";
import { HfConfigError, mapHfConfig, presetConfig, toHfConfig, transformerConfig, yarnMscale } from "../src/index.ts";

// Published config.json files (architecture fields as released).
const QWEN25_05B = {
  architectures: ["Qwen2ForCausalLM"], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151643, hidden_act: "silu", hidden_size: 896,
  initializer_range: 0.02, intermediate_size: 4864, max_position_embeddings: 32768, max_window_layers: 24, model_type: "qwen2", num_attention_heads: 14,
  num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0, sliding_window: 32768, tie_word_embeddings: true,
  torch_dtype: "bfloat16", transformers_version: "4.40.1", use_cache: true, use_sliding_window: false, vocab_size: 151936,
};
const LLAMA32_1B = {
  architectures: ["LlamaForCausalLM"], attention_bias: false, attention_dropout: 0.0, bos_token_id: 128000, eos_token_id: 128001, head_dim: 64, hidden_act: "silu",
  hidden_size: 2048, initializer_range: 0.02, intermediate_size: 8192, max_position_embeddings: 131072, mlp_bias: false, model_type: "llama", num_attention_heads: 32,
  num_hidden_layers: 16, num_key_value_heads: 8, pretraining_tp: 1, rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
  rope_theta: 500000.0, tie_word_embeddings: true, torch_dtype: "bfloat16", transformers_version: "4.45.0.dev0", use_cache: true, vocab_size: 128256,
};
const QWEN3_06B = {
  architectures: ["Qwen3ForCausalLM"], attention_bias: false, attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151645, head_dim: 128, hidden_act: "silu",
  hidden_size: 1024, initializer_range: 0.02, intermediate_size: 3072, max_position_embeddings: 40960, max_window_layers: 28, model_type: "qwen3",
  num_attention_heads: 16, num_hidden_layers: 28, num_key_value_heads: 8, rms_norm_eps: 1e-6, rope_scaling: null, rope_theta: 1000000, sliding_window: null,
  tie_word_embeddings: true, torch_dtype: "bfloat16", transformers_version: "4.51.0", use_cache: true, use_sliding_window: false, vocab_size: 151936,
};
const SMOLLM2_135M = {
  architectures: ["LlamaForCausalLM"], attention_bias: false, attention_dropout: 0.0, bos_token_id: 0, eos_token_id: 0, hidden_act: "silu", hidden_size: 576,
  initializer_range: 0.041666666666666664, intermediate_size: 1536, is_llama_config: true, max_position_embeddings: 8192, mlp_bias: false, model_type: "llama",
  num_attention_heads: 9, num_hidden_layers: 30, num_key_value_heads: 3, pretraining_tp: 1, rms_norm_eps: 1e-5, rope_interleaved: false, rope_scaling: null,
  rope_theta: 100000, tie_word_embeddings: true, torch_dtype: "bfloat16", transformers_version: "4.42.3", use_cache: true, vocab_size: 49152,
};
const DEEPSEEK_V3 = {
  architectures: ["DeepseekV3ForCausalLM"], attention_bias: false, attention_dropout: 0.0, auto_map: { AutoConfig: "configuration_deepseek.DeepseekV3Config" },
  aux_loss_alpha: 0.001, bos_token_id: 0, eos_token_id: 1, ep_size: 1, first_k_dense_replace: 3, hidden_act: "silu", hidden_size: 7168, initializer_range: 0.02,
  intermediate_size: 18432, kv_lora_rank: 512, max_position_embeddings: 163840, model_type: "deepseek_v3", moe_intermediate_size: 2048, moe_layer_freq: 1,
  n_group: 8, n_routed_experts: 256, n_shared_experts: 1, norm_topk_prob: true, num_attention_heads: 128, num_experts_per_tok: 8, num_hidden_layers: 61,
  num_key_value_heads: 128, num_nextn_predict_layers: 1, pretraining_tp: 1, q_lora_rank: 1536, qk_nope_head_dim: 128, qk_rope_head_dim: 64,
  quantization_config: { activation_scheme: "dynamic", fmt: "e4m3", quant_method: "fp8", weight_block_size: [128, 128] }, rms_norm_eps: 1e-6,
  rope_scaling: { beta_fast: 32, beta_slow: 1, factor: 40, mscale: 1.0, mscale_all_dim: 1.0, original_max_position_embeddings: 4096, type: "yarn" },
  rope_theta: 10000, routed_scaling_factor: 2.5, scoring_func: "sigmoid", seq_aux: true, tie_word_embeddings: false, topk_group: 4, topk_method: "noaux_tc",
  torch_dtype: "bfloat16", transformers_version: "4.33.1", use_cache: true, v_head_dim: 128, vocab_size: 129280,
};

describe("published configs", () => {
  it("Qwen2.5-0.5B: q/k/v biases, no o bias, tied, GQA 14/2, no notices", () => {
    const m = mapHfConfig(QWEN25_05B);
    expect(m.notices).toEqual([]);
    expect(m.config).toMatchObject({ attentionBias: true, attentionOutputBias: false, tieEmbeddings: true, nHeads: 14, nKvHeads: 2, maxSeqLen: 32768, qkNorm: false });
  });

  it("Llama-3.2-1B: llama3 RoPE scaling and explicit head_dim", () => {
    const m = mapHfConfig(LLAMA32_1B);
    expect(m.notices).toEqual([]);
    expect(m.config.ropeScaling).toEqual({ type: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxSeqLen: 8192 });
    expect(m.config).toMatchObject({ headDim: 64, ropeTheta: 500000, normEps: 1e-5, attentionBias: false, mlpBias: false });
  });

  it("Qwen3-0.6B: q_norm/k_norm and head_dim 128 (not hidden / heads = 64)", () => {
    const m = mapHfConfig(QWEN3_06B);
    expect(m.notices).toEqual([]);
    expect(transformerConfig(m.config)).toMatchObject({ qkNorm: true, headDim: 128, attentionOutputBias: false });
  });

  it("SmolLM2-135M maps as Llama with its own initializer range", () => {
    const m = mapHfConfig(SMOLLM2_135M);
    expect(m.notices).toEqual([]);
    expect(m.config).toMatchObject({ dim: 576, nHeads: 9, nKvHeads: 3, initStd: 0.041666666666666664 });
  });

  it("DeepSeek-V3: noaux_tc routing in 8 groups, normalised weights times 2.5, YaRN with mscale_all_dim, FP8, MTP ignored with a notice", () => {
    const m = mapHfConfig(DEEPSEEK_V3);
    expect(m.fp8Weights).toBe(true);
    expect(m.extraLayers).toBe(1);
    expect(m.notices).toEqual([expect.stringMatching(/the 1 multi-token-prediction layer\(s\) \(model\.layers\.61\.\.\.\) are ignored/)]);
    expect(m.config).toMatchObject({
      nExpertGroups: 8, nLimitedGroups: 4, groupScoring: "top2Sum", routerBias: true, normTopkProb: true, routeScale: 2.5, scoreFunc: "sigmoid",
      nDenseLayers: 3, qLoraRank: 1536, balanceLossAlpha: 0.001,
    });
    expect(m.config.ropeScaling).toEqual({ type: "yarn", factor: 40, originalMaxSeqLen: 4096, betaFast: 32, betaSlow: 1, mscale: 1, alwaysOn: true });
  });
});

describe("YaRN and MoE fields mean what their models' code does", () => {
  const qwen = { model_type: "qwen2", vocab_size: 16, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 128 };

  it("GQA YaRN: cos/sin times attention_factor (default 0.1 ln(factor) + 1), softmax scale unchanged", () => {
    const m = mapHfConfig({ ...qwen, rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 32 } });
    expect(m.config.ropeScaling).toEqual({ type: "yarn", factor: 4, originalMaxSeqLen: 32, betaFast: 32, betaSlow: 1, mscale: 0, alwaysOn: true, attentionFactor: 0.1 * Math.log(4) + 1 });
    const given = mapHfConfig({ ...qwen, rope_scaling: { type: "yarn", factor: 4, attention_factor: 1.1 } });
    expect(given.config.ropeScaling).toMatchObject({ attentionFactor: 1.1, originalMaxSeqLen: 128 });
  });

  it("DeepSeek YaRN: tables times mscale(f, mscale) / mscale(f, mscale_all_dim), softmax times mscale(f, mscale_all_dim)^2", () => {
    const ds = { model_type: "deepseek_v2", vocab_size: 16, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, kv_lora_rank: 4, qk_nope_head_dim: 4, qk_rope_head_dim: 2, v_head_dim: 4 };
    const m = mapHfConfig({ ...ds, rope_scaling: { type: "yarn", factor: 40, original_max_position_embeddings: 4096, mscale: 1, mscale_all_dim: 0.707 } });
    expect(m.config.ropeScaling).toMatchObject({ mscale: 0.707, attentionFactor: yarnMscale(40, 1) / yarnMscale(40, 0.707) });
  });

  it("DeepSeek-V2 normalises instead of scaling; V3 normalises and scales", () => {
    const ds = {
      vocab_size: 16, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 2, num_attention_heads: 2, kv_lora_rank: 4, qk_nope_head_dim: 4, qk_rope_head_dim: 2,
      v_head_dim: 4, n_routed_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 4, routed_scaling_factor: 16, norm_topk_prob: true,
    };
    expect(mapHfConfig({ ...ds, model_type: "deepseek_v2" }).config).toMatchObject({ normTopkProb: true, routeScale: 1, nExpertGroups: 1 });
    expect(mapHfConfig({ ...ds, model_type: "deepseek_v2", norm_topk_prob: false }).config).toMatchObject({ normTopkProb: false, routeScale: 16 });
    expect(mapHfConfig({ ...ds, model_type: "deepseek_v3" }).config).toMatchObject({ normTopkProb: true, routeScale: 16, routerBias: true });
    expect(mapHfConfig({ ...ds, model_type: "deepseek_v2", topk_method: "group_limited_greedy", n_group: 2, topk_group: 1 }).config).toMatchObject({ groupScoring: "max", nExpertGroups: 2, routerBias: false });
  });

  it("rope_parameters (transformers 5) carry the theta and the scaling", () => {
    const m = mapHfConfig({ ...qwen, rope_parameters: { rope_type: "linear", factor: 2, rope_theta: 5000 } });
    expect(m.config).toMatchObject({ ropeTheta: 5000, ropeScaling: { type: "linear", factor: 2 } });
  });
});

describe("toHfConfig", () => {
  it.each(["tiny-llama", "tiny-deepseek", "qwen2.5-0.5b", "llama-3.2-1b", "deepseek-v2-lite-16b", "deepseek-v3-671b"])("%s writes a config that maps back to the same model", (name) => {
    const model = transformerConfig(presetConfig(name));
    const hf = toHfConfig(model);
    const again = transformerConfig({ ...mapHfConfig(hf).config, seed: model.seed });
    for (const key of ["dim", "nLayers", "nHeads", "nKvHeads", "headDim", "attention", "nRoutedExperts", "routeScale", "normTopkProb", "attentionBias", "tieEmbeddings"] as const) {
      expect(again[key], key).toEqual(model[key]);
    }
  });

  it("keeps the config a model was loaded from when it still describes the model, with the new torch_dtype", () => {
    const model = transformerConfig(mapHfConfig(QWEN25_05B).config);
    expect(toHfConfig(model, { base: QWEN25_05B, torchDtype: "float32" })).toEqual({ ...QWEN25_05B, torch_dtype: "float32" });
    const changed = toHfConfig({ ...model, nLayers: 2 }, { base: QWEN25_05B });
    expect(changed).toMatchObject({ model_type: "qwen2", num_hidden_layers: 2, architectures: ["Qwen2ForCausalLM"] });
  });

  it("fails naming what has no HF form (MoE on grouped-query attention)", () => {
    const model = transformerConfig({ vocabSize: 16, dim: 8, nLayers: 1, nHeads: 2, interDim: 8, nRoutedExperts: 4, nActivatedExperts: 1, moeInterDim: 4 });
    expect(() => toHfConfig(model)).toThrow(HfConfigError);
    expect(() => toHfConfig(model)).toThrow(/no HF form: nRoutedExperts/);
  });
});
