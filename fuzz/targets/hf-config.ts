/**
 * Hugging Face config.json files (loadHfConfig: JSON -> fromHfConfig -> transformerConfig): real
 * Llama, Qwen2 and DeepSeek-V3 shaped configs with fields set to awkward values, deleted or added,
 * their JSON text corrupted, and random JSON.
 */
import { writeFile } from "node:fs/promises";
import fc from "fast-check";
import { loadHfConfig } from "@r1ts/core";
import { awkwardJson, clip, editedJson, expandDeep, mutated } from "./arbitraries.ts";
import { defineTarget } from "../harness/target.ts";

const llama = {
  model_type: "llama", vocab_size: 256, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, rope_theta: 10000, rms_norm_eps: 1e-5, max_position_embeddings: 512, tie_word_embeddings: false,
};
const qwen2 = { ...llama, model_type: "qwen2", rope_scaling: null, tie_word_embeddings: true };
const deepseek = {
  model_type: "deepseek_v3", vocab_size: 256, hidden_size: 64, intermediate_size: 128, moe_intermediate_size: 32, num_hidden_layers: 2,
  first_k_dense_replace: 1, num_attention_heads: 4, num_key_value_heads: 4, n_routed_experts: 8, n_shared_experts: 1, num_experts_per_tok: 2,
  n_group: 2, topk_group: 1, topk_method: "noaux_tc", scoring_func: "sigmoid", routed_scaling_factor: 2.5, q_lora_rank: 32, kv_lora_rank: 16,
  qk_nope_head_dim: 16, qk_rope_head_dim: 8, v_head_dim: 16, rope_theta: 10000, max_position_embeddings: 1024, rms_norm_eps: 1e-6,
  rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 256, beta_fast: 32, beta_slow: 1, mscale: 1, mscale_all_dim: 1 },
};

const baseConfig = fc.constantFrom<unknown>(llama, qwen2, deepseek);
const text = (value: unknown) => new TextEncoder().encode(expandDeep(JSON.stringify(value, null, 2)));

export const hfConfigTarget = defineTarget<Uint8Array>({
  name: "hf-config",
  description: "loadHfConfig: Llama/Qwen2/DeepSeek-V3 config.json with edited fields, corrupted text, random JSON",
  arbitrary: fc.oneof(
    { weight: 6, arbitrary: editedJson(baseConfig, 3).map(text) },
    { weight: 2, arbitrary: mutated(baseConfig.map(text), 2) },
    { weight: 1, arbitrary: awkwardJson.map(text) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  ),
  async write(bytes, files) {
    const file = files.path("config.json");
    await writeFile(file, bytes);
    return file;
  },
  read: (file) => loadHfConfig(file),
  preview: (bytes, max) => clip(Buffer.from(bytes).toString("utf8"), max),
});
