/**
 * Hugging Face `config.json` -> r1ts TransformerConfigInput, for the model families r1ts's transformer
 * covers: Llama / Mistral / Qwen2 (GQA, dense SwiGLU) and DeepSeek-V2 / V3 (MLA, DeepSeekMoE, YaRN).
 * Only what changes the architecture is read; unknown model types fail with the supported list.
 */
import { R1tsError } from "../errors.ts";
import { previewValue } from "../util/preview.ts";
import type { RopeScalingInput, TransformerConfigInput } from "../nn/transformer-config.ts";

/** An HF config that cannot be mapped: names the field and the model type. */
export class HfConfigError extends R1tsError {}

const GQA_TYPES = ["llama", "mistral", "qwen2"];
const DEEPSEEK_TYPES = ["deepseek_v2", "deepseek_v3"];

type Json = Record<string, unknown>;

/** Whether `json` looks like an HF config (it has `model_type`). */
export function isHfConfig(json: unknown): json is Json {
  return typeof json === "object" && json !== null && typeof (json as Json).model_type === "string";
}

/** Maps an HF config object; `source` (e.g. the config.json path) starts every error message. */
export function fromHfConfig(json: Json, source = "HF config"): TransformerConfigInput {
  const type = json.model_type;
  if (typeof type !== "string" || ![...GQA_TYPES, ...DEEPSEEK_TYPES].includes(type)) {
    throw new HfConfigError(`${source}: model_type ${previewValue(type)} is not supported (supported: ${[...GQA_TYPES, ...DEEPSEEK_TYPES].join(", ")})`);
  }
  const int = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new HfConfigError(`${source} (${type}): "${key}" must be an integer, got ${previewValue(json[key])}`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new HfConfigError(`${source} (${type}): "${key}" must be a number, got ${previewValue(json[key])}`);
    return v;
  };
  const nHeads = int("num_attention_heads");
  const common: TransformerConfigInput = {
    vocabSize: int("vocab_size"),
    dim: int("hidden_size"),
    interDim: int("intermediate_size"),
    nLayers: int("num_hidden_layers"),
    nHeads,
    nKvHeads: int("num_key_value_heads", nHeads),
    normEps: num("rms_norm_eps", 1e-6),
    ropeTheta: num("rope_theta", 1e4),
    maxSeqLen: int("max_position_embeddings", 2048),
    tieEmbeddings: json.tie_word_embeddings === true,
  };
  if (GQA_TYPES.includes(type)) {
    if (json.rope_scaling != null) throw new HfConfigError(`${source} (${type}): rope_scaling ${previewValue(json.rope_scaling)} is not supported for this model type (only YaRN for DeepSeek)`);
    return {
      ...common,
      ...(typeof json.head_dim === "number" ? { headDim: int("head_dim") } : {}),
      attentionBias: type === "qwen2" || json.attention_bias === true,
    };
  }
  const scoring = json.scoring_func ?? "softmax";
  if (scoring !== "softmax" && scoring !== "sigmoid") throw new HfConfigError(`${source} (${type}): "scoring_func" must be softmax or sigmoid, got ${previewValue(scoring)}`);
  const nRoutedExperts = int("n_routed_experts", 0);
  return {
    ...common,
    nKvHeads: nHeads,
    attention: "mla",
    ropeInterleaved: true,
    qLoraRank: json.q_lora_rank == null ? 0 : int("q_lora_rank"),
    kvLoraRank: int("kv_lora_rank"),
    qkNopeHeadDim: int("qk_nope_head_dim"),
    qkRopeHeadDim: int("qk_rope_head_dim"),
    vHeadDim: int("v_head_dim"),
    nRoutedExperts,
    ...(nRoutedExperts > 0
      ? {
          nSharedExperts: int("n_shared_experts", 0),
          nActivatedExperts: int("num_experts_per_tok"),
          moeInterDim: int("moe_intermediate_size"),
          nDenseLayers: int("first_k_dense_replace", 0),
          nExpertGroups: int("n_group", 1),
          nLimitedGroups: int("topk_group", 1),
          scoreFunc: scoring,
          routeScale: num("routed_scaling_factor", 1),
          routerBias: json.topk_method === "noaux_tc",
        }
      : {}),
    ropeScaling: ropeScalingOf(json.rope_scaling, `${source} (${type})`),
  };
}

function ropeScalingOf(value: unknown, where: string): RopeScalingInput {
  if (value == null) return { type: "none" };
  const s = value as Json;
  if (typeof s !== "object" || (s.type ?? s.rope_type) !== "yarn") throw new HfConfigError(`${where}: only YaRN rope_scaling is supported, got ${previewValue(value)}`);
  const pick = (key: string): number | undefined => (typeof s[key] === "number" ? (s[key] as number) : undefined);
  const out: RopeScalingInput = { type: "yarn" };
  const fields: [keyof typeof out & string, number | undefined][] = [
    ["factor", pick("factor")],
    ["originalMaxSeqLen", pick("original_max_position_embeddings")],
    ["betaFast", pick("beta_fast")],
    ["betaSlow", pick("beta_slow")],
    // The softmax scale's coefficient: HF's mscale_all_dim (DeepSeek's ModelArgs.mscale).
    ["mscale", pick("mscale_all_dim") ?? pick("mscale")],
  ];
  for (const [key, v] of fields) if (v !== undefined) Object.assign(out, { [key]: v });
  return out;
}
