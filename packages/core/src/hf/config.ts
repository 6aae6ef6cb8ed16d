/**
 * Hugging Face `config.json` <-> r1ts TransformerConfig, for the model families r1ts's transformer covers:
 * Llama / Mistral / Qwen2 / Qwen3 (GQA, dense SwiGLU, RoPE) and DeepSeek-V2 / V3 (MLA, DeepSeekMoE, YaRN,
 * FP8 weights). Every field that changes the forward pass is read; a value r1ts cannot honour (another
 * activation, partial rotary, sliding windows inside the context, another quantisation) fails naming the
 * field; fields that do not change the forward pass are ignored; fields r1ts does not know are reported
 * as notices. `toHfConfig` writes the config back and checks that it maps to the same model.
 */
import type { TransformerConfig, TransformerConfigInput } from "../nn/transformer-config.ts";
import { transformerConfig } from "../nn/transformer-config.ts";
import { HfConfigError } from "./errors.ts";
import { ropeFromHf, ropeToHf } from "./rope-scaling.ts";
import { previewValue } from "../util/preview.ts";

export const HF_MODEL_TYPES = ["llama", "mistral", "qwen2", "qwen3", "deepseek_v2", "deepseek_v3"] as const;
export type HfModelType = (typeof HF_MODEL_TYPES)[number];

const ARCHITECTURES: Record<HfModelType, string> = {
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen3: "Qwen3ForCausalLM",
  deepseek_v2: "DeepseekV2ForCausalLM",
  deepseek_v3: "DeepseekV3ForCausalLM",
};

type Json = Record<string, unknown>;

export interface HfConfigMapping {
  modelType: HfModelType;
  config: TransformerConfigInput;
  /** What was ignored or changed, for the user to read (MTP layers, a capped context, unknown fields). */
  notices: string[];
  /** DeepSeek-V3's FP8 release form: linear weights are E4M3 with 128 x 128 block scales (`weight_scale_inv`). */
  fp8Weights: boolean;
  /** Layers stored after the last decoder layer (DeepSeek-V3's multi-token-prediction module), ignored. */
  extraLayers: number;
}

export interface HfConfigOptions {
  /** Named in errors (default "config.json"). */
  source?: string;
  /** Run at most this many positions (default max_position_embeddings; RoPE tables are that long). */
  maxSeqLen?: number;
}

/** Fields of PretrainedConfig and the model configs that do not change the forward pass. */
const NO_EFFECT = new Set([
  "architectures", "model_type", "torch_dtype", "dtype", "transformers_version", "_name_or_path", "auto_map", "name_or_path",
  "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id", "initializer_range", "use_cache",
  "attention_dropout", "hidden_dropout", "embd_pdrop", "resid_pdrop", "output_attentions", "output_hidden_states", "return_dict",
  "torchscript", "use_return_dict", "pretraining_tp", "tokenizer_class", "task_specific_params", "id2label", "label2id",
  "problem_type", "is_encoder_decoder", "chunk_size_feed_forward", "bad_words_ids", "prefix", "transformers.js_config",
  "is_llama_config", "rope_interleaved", "max_window_layers", "ep_size", "seq_aux", "aux_loss_alpha", "router_aux_loss_coef",
  "num_key_value_heads", "head_dim", "use_mrope", "tie_word_embeddings", "tp_plan", "base_model_tp_plan", "base_model_pp_plan",
]);

/** Fields each family reads (besides the common ones). */
const COMMON_FIELDS = [
  "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "rms_norm_eps", "rope_theta",
  "max_position_embeddings", "hidden_act", "rope_scaling", "rope_parameters", "partial_rotary_factor",
];
const FAMILY_FIELDS: Record<HfModelType, string[]> = {
  llama: ["attention_bias", "mlp_bias"],
  mistral: ["sliding_window"],
  qwen2: ["sliding_window", "use_sliding_window", "layer_types"],
  qwen3: ["attention_bias", "sliding_window", "use_sliding_window", "layer_types"],
  deepseek_v2: deepseekFields(),
  deepseek_v3: [...deepseekFields(), "num_nextn_predict_layers", "rope_interleave", "quantization_config"],
};

function deepseekFields(): string[] {
  return [
    "attention_bias", "mlp_bias", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "n_routed_experts",
    "n_shared_experts", "num_experts_per_tok", "moe_intermediate_size", "first_k_dense_replace", "moe_layer_freq", "n_group",
    "topk_group", "topk_method", "scoring_func", "norm_topk_prob", "routed_scaling_factor",
  ];
}

/** Whether `json` looks like an HF config (it has `model_type`). */
export function isHfConfig(json: unknown): json is Json {
  return typeof json === "object" && json !== null && typeof (json as Json).model_type === "string";
}

/** The r1ts model config of an HF config (see `mapHfConfig` for the notices); `options` may be the source named in errors. */
export function fromHfConfig(json: Json, options: HfConfigOptions | string = {}): TransformerConfigInput {
  return mapHfConfig(json, options).config;
}

export function mapHfConfig(json: Json, options: HfConfigOptions | string = {}): HfConfigMapping {
  const { source = "config.json", maxSeqLen } = typeof options === "string" ? { source: options } : options;
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new HfConfigError(`${source}: must hold a JSON object, got ${previewValue(json, 60)}`);
  const type = json.model_type;
  if (typeof type !== "string" || !(HF_MODEL_TYPES as readonly string[]).includes(type)) {
    throw new HfConfigError(`${source}: model_type ${previewValue(type)} is not supported (supported: ${HF_MODEL_TYPES.join(", ")})`);
  }
  const modelType = type as HfModelType;
  const where = `${source} (${modelType})`;
  const notices: string[] = [];
  const fail = (field: string, problem: string): never => {
    throw new HfConfigError(`${where}: "${field}" ${problem}`);
  };
  const int = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return fail(key, `must be an integer, got ${previewValue(json[key])}`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) return fail(key, `must be a number, got ${previewValue(json[key])}`);
    return v;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const v = json[key] ?? fallback;
    if (typeof v !== "boolean") return fail(key, `must be true or false, got ${previewValue(json[key])}`);
    return v;
  };

  const known = new Set([...COMMON_FIELDS, ...FAMILY_FIELDS[modelType]]);
  for (const key of Object.keys(json)) if (!known.has(key) && !NO_EFFECT.has(key)) notices.push(`${source}: field "${key}" is not known to r1ts for ${modelType}; ignored`);

  const act = json.hidden_act ?? "silu";
  if (act !== "silu" && act !== "swish") fail("hidden_act", `must be "silu" (SwiGLU), got ${previewValue(act)}`);
  if (json.partial_rotary_factor != null && json.partial_rotary_factor !== 1) fail("partial_rotary_factor", `must be 1 (partial rotary embeddings are not supported), got ${previewValue(json.partial_rotary_factor)}`);
  const mla = modelType === "deepseek_v2" || modelType === "deepseek_v3";
  const rope = ropeFromHf(json, where, mla);
  const nHeads = int("num_attention_heads");
  const positions = int("max_position_embeddings", 2048);
  let contextLimit = maxSeqLen ?? positions;
  const common: TransformerConfigInput = {
    vocabSize: int("vocab_size"),
    dim: int("hidden_size"),
    interDim: int("intermediate_size"),
    nLayers: int("num_hidden_layers"),
    nHeads,
    normEps: num("rms_norm_eps", 1e-6),
    ropeTheta: rope.theta ?? 1e4,
    ropeScaling: rope.scaling,
    tieEmbeddings: flag("tie_word_embeddings", false),
    initStd: num("initializer_range", 0.02),
  };
  if (!mla) {
    contextLimit = Math.min(contextLimit, slidingWindowLimit(json, modelType, positions, where, notices));
    const biasAll = modelType === "llama" || modelType === "qwen3" ? flag("attention_bias", false) : false;
    const config: TransformerConfigInput = {
      ...common,
      maxSeqLen: contextLimit,
      nKvHeads: int("num_key_value_heads", nHeads),
      ...(json.head_dim != null ? { headDim: int("head_dim") } : {}),
      attentionBias: modelType === "qwen2" || biasAll,
      attentionOutputBias: biasAll,
      mlpBias: modelType === "llama" ? flag("mlp_bias", false) : false,
      qkNorm: modelType === "qwen3",
    };
    return { modelType, config, notices, fp8Weights: false, extraLayers: 0 };
  }

  if (flag("attention_bias", false)) fail("attention_bias", "must be false (MLA with biases is not supported)");
  if (flag("mlp_bias", false)) fail("mlp_bias", "must be false (DeepSeek MLPs have no biases)");
  const nRoutedExperts = json.n_routed_experts == null ? 0 : int("n_routed_experts");
  const moe = nRoutedExperts > 0 ? deepseekMoE(json, modelType, nRoutedExperts, int, num, flag, fail) : {};
  const extraLayers = modelType === "deepseek_v3" ? int("num_nextn_predict_layers", 0) : 0;
  if (extraLayers > 0) notices.push(`${source}: the ${extraLayers} multi-token-prediction layer(s) (model.layers.${int("num_hidden_layers")}...) are ignored`);
  const fp8Weights = modelType === "deepseek_v3" && json.quantization_config != null && fp8Quantization(json.quantization_config, fail);
  const interleave = modelType === "deepseek_v3" ? flag("rope_interleave", true) : true;
  const config: TransformerConfigInput = {
    ...common,
    maxSeqLen: contextLimit,
    nKvHeads: nHeads,
    attention: "mla",
    ropeInterleaved: interleave,
    qLoraRank: json.q_lora_rank == null ? 0 : int("q_lora_rank"),
    kvLoraRank: int("kv_lora_rank"),
    qkNopeHeadDim: int("qk_nope_head_dim"),
    qkRopeHeadDim: int("qk_rope_head_dim"),
    vHeadDim: int("v_head_dim"),
    nRoutedExperts,
    ...moe,
    ...(json.aux_loss_alpha != null ? { balanceLossAlpha: num("aux_loss_alpha", 0) } : {}),
  };
  return { modelType, config, notices, fp8Weights, extraLayers };
}

type Reader<T> = (key: string, fallback: T) => T;

function deepseekMoE(
  json: Json,
  modelType: HfModelType,
  nRoutedExperts: number,
  int: (key: string, fallback?: number) => number,
  num: Reader<number>,
  flag: Reader<boolean>,
  fail: (field: string, problem: string) => never,
): Partial<TransformerConfigInput> {
  const scoring = json.scoring_func ?? "softmax";
  if (scoring !== "softmax" && scoring !== "sigmoid") fail("scoring_func", `must be "softmax" or "sigmoid", got ${previewValue(scoring)}`);
  const method = json.topk_method ?? (modelType === "deepseek_v3" ? "noaux_tc" : "greedy");
  if (method !== "greedy" && method !== "group_limited_greedy" && method !== "noaux_tc") fail("topk_method", `must be "greedy", "group_limited_greedy" or "noaux_tc", got ${previewValue(method)}`);
  const k = int("num_experts_per_tok");
  const norm = flag("norm_topk_prob", false);
  const scale = num("routed_scaling_factor", 1);
  const grouped = method !== "greedy";
  // DeepSeek-V3 normalises (when asked) and then scales; DeepSeek-V2 normalises instead of scaling.
  const v3 = modelType === "deepseek_v3";
  const normalise = v3 ? norm : norm && k > 1;
  return {
    nSharedExperts: json.n_shared_experts == null ? 0 : int("n_shared_experts"),
    nActivatedExperts: k,
    moeInterDim: int("moe_intermediate_size"),
    nDenseLayers: int("first_k_dense_replace", 0),
    moeLayerFreq: int("moe_layer_freq", 1),
    nExpertGroups: grouped ? int("n_group", 1) : 1,
    nLimitedGroups: grouped ? int("topk_group", 1) : 1,
    groupScoring: method === "group_limited_greedy" ? "max" : "top2Sum",
    scoreFunc: scoring as "softmax" | "sigmoid",
    routeScale: v3 || !normalise ? scale : 1,
    normTopkProb: normalise,
    routerBias: method === "noaux_tc",
  };
}

function fp8Quantization(q: unknown, fail: (field: string, problem: string) => never): boolean {
  const c = q as Json;
  if (typeof c !== "object" || c === null) return fail("quantization_config", `must be an object, got ${previewValue(q)}`);
  const block = c.weight_block_size;
  const ok = c.quant_method === "fp8" && (c.fmt ?? "e4m3") === "e4m3" && Array.isArray(block) && block.length === 2 && block[0] === 128 && block[1] === 128 && (c.activation_scheme ?? "dynamic") === "dynamic";
  if (!ok) fail("quantization_config", `must be DeepSeek-V3's FP8 form { quant_method: "fp8", fmt: "e4m3", weight_block_size: [128, 128], activation_scheme: "dynamic" }, got ${previewValue(q)}`);
  return true;
}

/** The longest context r1ts runs the model on so that a sliding window never cuts in (the window itself, when smaller). */
function slidingWindowLimit(json: Json, type: HfModelType, positions: number, where: string, notices: string[]): number {
  const window = json.sliding_window;
  const used = type === "mistral" ? window != null : json.use_sliding_window === true;
  if (Array.isArray(json.layer_types) && json.layer_types.some((t) => t !== "full_attention") && !used) {
    throw new HfConfigError(`${where}: "layer_types" lists sliding-window layers but "use_sliding_window" is off; r1ts cannot tell which applies`);
  }
  if (!used || window == null) return positions;
  if (typeof window !== "number" || !Number.isSafeInteger(window) || window <= 0) throw new HfConfigError(`${where}: "sliding_window" must be a positive integer or null, got ${previewValue(window)}`);
  if (window >= positions) return positions;
  notices.push(`${where}: sliding-window attention (window ${window}) is not implemented; the model runs at most ${window} positions, where it equals full attention`);
  return window;
}

// ------------------------------------------------------------------------------------------ writing

export interface ToHfConfigOptions {
  /** The config the model was loaded from: kept as it is when it still describes the model. */
  base?: Json;
  /** torch_dtype to record (default "float32"). */
  torchDtype?: string;
  /** Record DeepSeek-V3's FP8 quantization_config (weights written as E4M3 with block scales). */
  fp8Weights?: boolean;
}

/** The HF config.json of a model config; checked to map back to the same model (HfConfigError naming what has no HF form). */
export function toHfConfig(model: TransformerConfig, { base, torchDtype = "float32", fp8Weights = false }: ToHfConfigOptions = {}): Json {
  if (base && isHfConfig(base)) {
    try {
      const again = transformerConfig({ ...mapHfConfig(base, { maxSeqLen: model.maxSeqLen }).config, seed: model.seed });
      if (sameModel(again, model)) return { ...withoutQuantization(base, fp8Weights), torch_dtype: torchDtype };
    } catch {
      // The base no longer describes the model (or is not loadable): write a fresh one below.
    }
  }
  const type = base && isHfConfig(base) && (HF_MODEL_TYPES as readonly string[]).includes(base.model_type as string) ? (base.model_type as HfModelType) : inferModelType(model);
  const out = buildHfConfig(model, type, torchDtype, fp8Weights);
  const again = transformerConfig({ ...mapHfConfig(out).config, seed: model.seed });
  const differing = differingFields(again, model);
  if (differing.length > 0) throw new HfConfigError(`config.json: the model cannot be written as a Hugging Face ${type} config; these fields have no HF form: ${differing.join(", ")}`);
  return out;
}

function withoutQuantization(base: Json, fp8Weights: boolean): Json {
  if (fp8Weights || base.quantization_config == null) return { ...base };
  const { quantization_config: _dropped, ...rest } = base;
  return rest;
}

function inferModelType(c: TransformerConfig): HfModelType {
  if (c.attention === "mla") return c.routerBias || c.nRoutedExperts === 0 ? "deepseek_v3" : "deepseek_v2";
  if (c.qkNorm) return "qwen3";
  if (c.attentionBias && !c.attentionOutputBias) return "qwen2";
  return "llama";
}

function buildHfConfig(c: TransformerConfig, type: HfModelType, torchDtype: string, fp8Weights: boolean): Json {
  const mla = c.attention === "mla";
  const out: Json = {
    architectures: [ARCHITECTURES[type]],
    model_type: type,
    vocab_size: c.vocabSize,
    hidden_size: c.dim,
    intermediate_size: c.interDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    hidden_act: "silu",
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: ropeToHf(c.ropeScaling, mla, c.maxSeqLen),
    max_position_embeddings: c.maxSeqLen,
    tie_word_embeddings: c.tieEmbeddings,
    initializer_range: c.initStd,
    torch_dtype: torchDtype,
    use_cache: true,
  };
  if (!mla) {
    out.head_dim = c.headDim;
    if (type === "llama") Object.assign(out, { attention_bias: c.attentionBias, mlp_bias: c.mlpBias });
    if (type === "qwen3") out.attention_bias = c.attentionBias;
    if (type === "qwen2" || type === "qwen3") Object.assign(out, { use_sliding_window: false, sliding_window: null });
    return out;
  }
  Object.assign(out, {
    q_lora_rank: c.qLoraRank === 0 ? null : c.qLoraRank,
    kv_lora_rank: c.kvLoraRank,
    qk_nope_head_dim: c.qkNopeHeadDim,
    qk_rope_head_dim: c.qkRopeHeadDim,
    v_head_dim: c.vHeadDim,
    attention_bias: false,
    aux_loss_alpha: c.balanceLossAlpha,
  });
  if (type === "deepseek_v3") out.rope_interleave = c.ropeInterleaved;
  if (c.nRoutedExperts > 0) {
    const v3 = type === "deepseek_v3";
    Object.assign(out, {
      n_routed_experts: c.nRoutedExperts,
      n_shared_experts: c.nSharedExperts === 0 ? null : c.nSharedExperts,
      num_experts_per_tok: c.nActivatedExperts,
      moe_intermediate_size: c.moeInterDim,
      first_k_dense_replace: c.nDenseLayers,
      moe_layer_freq: c.moeLayerFreq,
      n_group: c.nExpertGroups,
      topk_group: c.nLimitedGroups,
      topk_method: c.routerBias ? "noaux_tc" : c.nExpertGroups > 1 ? (c.groupScoring === "max" ? "group_limited_greedy" : "noaux_tc") : "greedy",
      scoring_func: c.scoreFunc,
      norm_topk_prob: c.normTopkProb,
      routed_scaling_factor: !v3 && c.normTopkProb ? 1 : c.routeScale,
    });
  }
  if (type === "deepseek_v3") out.num_nextn_predict_layers = 0;
  if (fp8Weights) out.quantization_config = { activation_scheme: "dynamic", fmt: "e4m3", quant_method: "fp8", weight_block_size: [128, 128] };
  return out;
}

/** Fields that decide the forward pass (not the seed, init, cache layout or the MoE training coefficient). */
const COMPARED: readonly (keyof TransformerConfig)[] = [
  "vocabSize", "dim", "nLayers", "nHeads", "nKvHeads", "headDim", "interDim", "normEps", "ropeTheta", "ropeInterleaved", "ropeScaling",
  "maxSeqLen", "tieEmbeddings", "attentionBias", "attentionOutputBias", "mlpBias", "qkNorm", "attention", "qLoraRank", "kvLoraRank",
  "qkNopeHeadDim", "qkRopeHeadDim", "vHeadDim", "nRoutedExperts", "nSharedExperts", "nActivatedExperts", "moeInterDim", "nDenseLayers",
  "moeLayerFreq", "nExpertGroups", "nLimitedGroups", "scoreFunc", "routeScale", "normTopkProb", "groupScoring", "routerBias",
];

function sameModel(a: TransformerConfig, b: TransformerConfig): boolean {
  return differingFields(a, b).length === 0;
}

function differingFields(a: TransformerConfig, b: TransformerConfig): string[] {
  const moe = a.nRoutedExperts > 0 || b.nRoutedExperts > 0;
  return COMPARED.filter((key) => {
    if (!moe && ["nSharedExperts", "nActivatedExperts", "moeInterDim", "nDenseLayers", "moeLayerFreq", "nExpertGroups", "nLimitedGroups", "scoreFunc", "routeScale", "normTopkProb", "groupScoring", "routerBias"].includes(key)) return false;
    if (a.attention === "mla" && b.attention === "mla" && (key === "nKvHeads" || key === "headDim")) return false;
    if (a.attention === "gqa" && b.attention === "gqa" && ["qLoraRank", "kvLoraRank", "qkNopeHeadDim", "qkRopeHeadDim", "vHeadDim"].includes(key)) return false;
    if (key === "ropeScaling") return JSON.stringify(effectiveScaling(a)) !== JSON.stringify(effectiveScaling(b));
    return JSON.stringify(a[key]) !== JSON.stringify(b[key]);
  });
}

/** A scaling in a canonical form: YaRN active within maxSeqLen is always-on; default-valued options dropped. */
function effectiveScaling(c: TransformerConfig): unknown {
  const s = c.ropeScaling;
  if (s.type !== "yarn") return s;
  const active = s.alwaysOn === true || c.maxSeqLen > s.originalMaxSeqLen;
  if (!active) return { type: "none" };
  const factor = s.attentionFactor ?? 1;
  return { type: "yarn", factor: s.factor, originalMaxSeqLen: s.originalMaxSeqLen, betaFast: s.betaFast, betaSlow: s.betaSlow, mscale: round(s.mscale), attentionFactor: round(factor), truncate: s.truncate ?? true };
}

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
