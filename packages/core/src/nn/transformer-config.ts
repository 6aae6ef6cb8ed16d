/**
 * The decoder-only transformer's config, shaped like DeepSeek-V3's `ModelArgs` and HF's `config.json`:
 * one family covering Llama/Qwen-style blocks (GQA + dense SwiGLU + RoPE) and DeepSeek-style blocks
 * (MLA, MoE with shared experts after `nDenseLayers` dense layers, YaRN). `transformerConfig` fills defaults and validates,
 * so a bad config fails before any tensor is made, naming the field, what was expected and what was given.
 */
import { ModelConfigError } from "./errors.ts";
import type { MoEGroupScoring, MoEScoreFunc } from "./moe-gate.ts";
import type { RopeScaling } from "./rope.ts";
import { type DynamicRopeScaling, type Llama3RopeScaling, type LinearRopeScaling, ropeScalingProblem } from "./rope-scalings.ts";
import { YARN_DEFAULTS, type YarnScaling, yarnProblem } from "./yarn.ts";

export interface TransformerConfig {
  vocabSize: number;
  /** Model (residual stream) width. */
  dim: number;
  nLayers: number;
  /** Query heads. */
  nHeads: number;
  /** Key/value heads (grouped-query attention); must divide nHeads. nHeads = MHA, 1 = MQA. */
  nKvHeads: number;
  /** Width of one head (default dim / nHeads); must be even for RoPE. */
  headDim: number;
  /** Hidden width of the SwiGLU MLP. */
  interDim: number;
  normEps: number;
  ropeTheta: number;
  /** RoPE layout: interleaved pairs (DeepSeek) or half-split (HF Llama/Qwen, the default). */
  ropeInterleaved: boolean;
  ropeScaling: RopeScaling;
  maxSeqLen: number;
  /** Share the embedding matrix with the output head (then there is no `lm_head.weight`). */
  tieEmbeddings: boolean;
  /** Biases on q/k/v projections (Qwen2 has them). */
  attentionBias: boolean;
  /** A bias on the attention output projection o_proj (Llama's attention_bias puts one on q, k, v and o). */
  attentionOutputBias: boolean;
  /** Biases on the dense SwiGLU's gate/up/down projections (Llama's mlp_bias). */
  mlpBias: boolean;
  /** Qwen3: RMSNorm over each query and key head (q_norm, k_norm, headDim wide) before RoPE. */
  qkNorm: boolean;
  /**
   * Linear weights stored as FP8 E4M3 with one f32 scale per 128 x 128 block (`weight_scale_inv`, as
   * DeepSeek-V3's released checkpoints), dequantised on the fly; not trainable. Embedding, norms,
   * MoE gates and the output head stay in full precision.
   */
  fp8Weights: boolean;
  /** Std of the normal initialisation of weight matrices. */
  initStd: number;
  /** Seed of the parameter initialisation. */
  seed: number;

  /** Attention kind: grouped-query attention (Llama/Qwen) or multi-head latent attention (DeepSeek). */
  attention: "gqa" | "mla";
  /** MLA: query compression rank (0 = none). */
  qLoraRank: number;
  /** MLA: key/value latent width (512). */
  kvLoraRank: number;
  /** MLA: per-head query/key width without RoPE (128). */
  qkNopeHeadDim: number;
  /** MLA: per-head RoPE width of queries and of the shared key (64). */
  qkRopeHeadDim: number;
  /** MLA: per-head value width (128). */
  vHeadDim: number;
  /** MLA: cached decoding keeps the latent cache (absorbed, default) or full keys and values (naive). */
  mlaAbsorb: boolean;

  /** MoE: routed experts per MoE layer (0 = every layer dense). */
  nRoutedExperts: number;
  /** MoE: shared (always active) experts. */
  nSharedExperts: number;
  /** MoE: experts activated per token (K). */
  nActivatedExperts: number;
  /** MoE: hidden width of each expert. */
  moeInterDim: number;
  /** MoE: the first nDenseLayers layers keep a dense MLP (interDim wide). */
  nDenseLayers: number;
  /** MoE: after the dense layers, layer i is an MoE layer when i % moeLayerFreq == 0 (HF moe_layer_freq; default 1). */
  moeLayerFreq: number;
  /** MoE: expert groups and how many a token may use (group-limited routing). */
  nExpertGroups: number;
  nLimitedGroups: number;
  /** MoE: gate affinities (sigmoid in DeepSeek-V3, softmax in V2). */
  scoreFunc: MoEScoreFunc;
  /** MoE: multiplier of the routing weights. */
  routeScale: number;
  /** MoE: renormalise the top-K weights to sum to 1 before routeScale (HF norm_topk_prob; default: with sigmoid scores). */
  normTopkProb: boolean;
  /** MoE: how a group of experts is scored for group-limited routing: the sum of its top 2 (V3's noaux_tc) or its max (V2). */
  groupScoring: MoEGroupScoring;
  /** MoE: selection bias for auxiliary-loss-free balancing (default: with sigmoid scores). */
  routerBias: boolean;
  /** MoE: alpha of the sequence-wise balance loss added by `loss` (0 = off). */
  balanceLossAlpha: number;
}

type Required_ = "vocabSize" | "dim" | "nLayers" | "nHeads" | "interDim";

/** A RoPE scaling as given: YaRN fields left out take DeepSeek-V3's defaults (YARN_DEFAULTS). */
export type RopeScalingInput =
  | { type: "none" }
  | ({ type: "yarn" } & Partial<Omit<YarnScaling, "type">>)
  | LinearRopeScaling
  | Llama3RopeScaling
  | DynamicRopeScaling;

export type TransformerConfigInput = Pick<TransformerConfig, Required_> & Partial<Omit<TransformerConfig, Required_ | "ropeScaling">> & { ropeScaling?: RopeScalingInput };

const DEFAULTS = {
  normEps: 1e-6,
  ropeTheta: 10000,
  ropeInterleaved: false,
  ropeScaling: { type: "none" } as RopeScaling,
  maxSeqLen: 2048,
  tieEmbeddings: false,
  attentionBias: false,
  attentionOutputBias: false,
  mlpBias: false,
  qkNorm: false,
  fp8Weights: false,
  initStd: 0.02,
  seed: 0,
  attention: "gqa" as const,
  qLoraRank: 0,
  kvLoraRank: 512,
  qkNopeHeadDim: 128,
  qkRopeHeadDim: 64,
  vHeadDim: 128,
  mlaAbsorb: true,
  nRoutedExperts: 0,
  nSharedExperts: 0,
  nActivatedExperts: 0,
  moeInterDim: 0,
  nDenseLayers: 0,
  moeLayerFreq: 1,
  nExpertGroups: 1,
  nLimitedGroups: 1,
  scoreFunc: "softmax" as MoEScoreFunc,
  routeScale: 1,
  groupScoring: "top2Sum" as MoEGroupScoring,
  balanceLossAlpha: 0.0001,
};

const FIELDS: readonly (keyof TransformerConfig)[] = [
  "vocabSize", "dim", "nLayers", "nHeads", "nKvHeads", "headDim", "interDim", "normEps", "ropeTheta",
  "ropeInterleaved", "ropeScaling", "maxSeqLen", "tieEmbeddings", "attentionBias", "attentionOutputBias", "mlpBias", "qkNorm",
  "fp8Weights", "initStd", "seed",
  "attention", "qLoraRank", "kvLoraRank", "qkNopeHeadDim", "qkRopeHeadDim", "vHeadDim", "mlaAbsorb",
  "nRoutedExperts", "nSharedExperts", "nActivatedExperts", "moeInterDim", "nDenseLayers", "moeLayerFreq", "nExpertGroups", "nLimitedGroups",
  "scoreFunc", "routeScale", "normTopkProb", "groupScoring", "routerBias", "balanceLossAlpha",
];

/** A complete, validated config from the required fields plus any overrides. */
export function transformerConfig(input: TransformerConfigInput): TransformerConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw ModelConfigError.expected("(config)", "an object", input);
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new ModelConfigError(key, `is not a known field (known: ${FIELDS.join(", ")})`);
  }
  const positive = (field: keyof TransformerConfig, value: unknown): number => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) throw ModelConfigError.expected(field, "a positive integer", value);
    return value;
  };
  const bool = (field: keyof TransformerConfig, value: unknown): boolean => {
    if (typeof value !== "boolean") throw ModelConfigError.expected(field, "true or false", value);
    return value;
  };
  const positiveReal = (field: keyof TransformerConfig, value: unknown): number => {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw ModelConfigError.expected(field, "a finite number > 0", value);
    return value;
  };

  const nonNegative = (field: keyof TransformerConfig, value: unknown): number => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw ModelConfigError.expected(field, "an integer >= 0", value);
    return value;
  };
  const dim = positive("dim", input.dim);
  const nHeads = positive("nHeads", input.nHeads);
  const attention = input.attention ?? DEFAULTS.attention;
  if (attention !== "gqa" && attention !== "mla") throw ModelConfigError.expected("attention", '"gqa" or "mla"', attention);
  const mla = {
    qLoraRank: nonNegative("qLoraRank", input.qLoraRank ?? DEFAULTS.qLoraRank),
    kvLoraRank: positive("kvLoraRank", input.kvLoraRank ?? DEFAULTS.kvLoraRank),
    qkNopeHeadDim: positive("qkNopeHeadDim", input.qkNopeHeadDim ?? DEFAULTS.qkNopeHeadDim),
    qkRopeHeadDim: positive("qkRopeHeadDim", input.qkRopeHeadDim ?? DEFAULTS.qkRopeHeadDim),
    vHeadDim: positive("vHeadDim", input.vHeadDim ?? DEFAULTS.vHeadDim),
    mlaAbsorb: bool("mlaAbsorb", input.mlaAbsorb ?? DEFAULTS.mlaAbsorb),
  };
  if (mla.qkRopeHeadDim % 2 !== 0) throw ModelConfigError.expected("qkRopeHeadDim", "even (RoPE rotates pairs)", mla.qkRopeHeadDim);
  const nKvHeads = positive("nKvHeads", input.nKvHeads ?? nHeads);
  if (nHeads % nKvHeads !== 0) throw ModelConfigError.expected("nKvHeads", `a divisor of nHeads (${nHeads})`, nKvHeads);
  if (attention === "gqa" && input.headDim === undefined && dim % nHeads !== 0) {
    throw ModelConfigError.expected("nHeads", `a divisor of dim (${dim}), or headDim set explicitly`, nHeads);
  }
  // With MLA, headDim is informational: the query/key head width qkNopeHeadDim + qkRopeHeadDim.
  const headDim = positive("headDim", input.headDim ?? (attention === "mla" ? mla.qkNopeHeadDim + mla.qkRopeHeadDim : dim / nHeads));
  if (attention === "gqa" && headDim % 2 !== 0) throw ModelConfigError.expected("headDim", "even (RoPE rotates pairs)", headDim);
  const moe = resolveMoE(input, positive, nonNegative, bool);
  const maxSeqLen = positive("maxSeqLen", input.maxSeqLen ?? DEFAULTS.maxSeqLen);
  const ropeScaling = resolveRopeScaling(input.ropeScaling ?? DEFAULTS.ropeScaling, maxSeqLen);
  const initStd = input.initStd ?? DEFAULTS.initStd;
  if (typeof initStd !== "number" || !Number.isFinite(initStd) || initStd < 0) throw ModelConfigError.expected("initStd", "a finite number >= 0", initStd);
  const seed = input.seed ?? DEFAULTS.seed;
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) throw ModelConfigError.expected("seed", "an integer >= 0", seed);

  return {
    vocabSize: positive("vocabSize", input.vocabSize),
    dim,
    nLayers: positive("nLayers", input.nLayers),
    nHeads,
    nKvHeads,
    headDim,
    interDim: positive("interDim", input.interDim),
    normEps: positiveReal("normEps", input.normEps ?? DEFAULTS.normEps),
    ropeTheta: positiveReal("ropeTheta", input.ropeTheta ?? DEFAULTS.ropeTheta),
    ropeInterleaved: bool("ropeInterleaved", input.ropeInterleaved ?? DEFAULTS.ropeInterleaved),
    ropeScaling: { ...ropeScaling },
    maxSeqLen,
    tieEmbeddings: bool("tieEmbeddings", input.tieEmbeddings ?? DEFAULTS.tieEmbeddings),
    attentionBias: bool("attentionBias", input.attentionBias ?? DEFAULTS.attentionBias),
    attentionOutputBias: bool("attentionOutputBias", input.attentionOutputBias ?? DEFAULTS.attentionOutputBias),
    mlpBias: bool("mlpBias", input.mlpBias ?? DEFAULTS.mlpBias),
    qkNorm: bool("qkNorm", input.qkNorm ?? DEFAULTS.qkNorm),
    fp8Weights: bool("fp8Weights", input.fp8Weights ?? DEFAULTS.fp8Weights),
    initStd,
    seed,
    attention,
    ...mla,
    ...moe,
  };
}

type Check = (field: keyof TransformerConfig, value: unknown) => number;

function resolveMoE(input: TransformerConfigInput, positive: Check, nonNegative: Check, bool: (field: keyof TransformerConfig, value: unknown) => boolean) {
  const nRoutedExperts = nonNegative("nRoutedExperts", input.nRoutedExperts ?? DEFAULTS.nRoutedExperts);
  const scoreFunc = input.scoreFunc ?? DEFAULTS.scoreFunc;
  if (scoreFunc !== "softmax" && scoreFunc !== "sigmoid") throw ModelConfigError.expected("scoreFunc", '"softmax" or "sigmoid"', scoreFunc);
  const routeScale = input.routeScale ?? DEFAULTS.routeScale;
  if (typeof routeScale !== "number" || !Number.isFinite(routeScale) || routeScale <= 0) throw ModelConfigError.expected("routeScale", "a finite number > 0", routeScale);
  const balanceLossAlpha = input.balanceLossAlpha ?? DEFAULTS.balanceLossAlpha;
  const groupScoring = input.groupScoring ?? DEFAULTS.groupScoring;
  if (groupScoring !== "top2Sum" && groupScoring !== "max") throw ModelConfigError.expected("groupScoring", '"top2Sum" or "max"', groupScoring);
  if (typeof balanceLossAlpha !== "number" || !Number.isFinite(balanceLossAlpha) || balanceLossAlpha < 0) throw ModelConfigError.expected("balanceLossAlpha", "a finite number >= 0", balanceLossAlpha);
  const out = {
    nRoutedExperts,
    nSharedExperts: nonNegative("nSharedExperts", input.nSharedExperts ?? DEFAULTS.nSharedExperts),
    nActivatedExperts: nonNegative("nActivatedExperts", input.nActivatedExperts ?? DEFAULTS.nActivatedExperts),
    moeInterDim: nonNegative("moeInterDim", input.moeInterDim ?? DEFAULTS.moeInterDim),
    nDenseLayers: nonNegative("nDenseLayers", input.nDenseLayers ?? DEFAULTS.nDenseLayers),
    moeLayerFreq: positive("moeLayerFreq", input.moeLayerFreq ?? DEFAULTS.moeLayerFreq),
    nExpertGroups: positive("nExpertGroups", input.nExpertGroups ?? DEFAULTS.nExpertGroups),
    nLimitedGroups: positive("nLimitedGroups", input.nLimitedGroups ?? DEFAULTS.nLimitedGroups),
    scoreFunc,
    routeScale,
    normTopkProb: bool("normTopkProb", input.normTopkProb ?? scoreFunc === "sigmoid"),
    groupScoring,
    routerBias: bool("routerBias", input.routerBias ?? scoreFunc === "sigmoid"),
    balanceLossAlpha,
  };
  if (nRoutedExperts === 0) return out;
  if (out.nActivatedExperts < 1 || out.nActivatedExperts > nRoutedExperts) throw ModelConfigError.expected("nActivatedExperts", `in [1, nRoutedExperts (${nRoutedExperts})] for an MoE model`, out.nActivatedExperts);
  if (out.moeInterDim < 1) throw ModelConfigError.expected("moeInterDim", "a positive integer for an MoE model", out.moeInterDim);
  if (nRoutedExperts % out.nExpertGroups !== 0) throw ModelConfigError.expected("nExpertGroups", `a divisor of nRoutedExperts (${nRoutedExperts})`, out.nExpertGroups);
  if (out.nLimitedGroups > out.nExpertGroups) throw ModelConfigError.expected("nLimitedGroups", `at most nExpertGroups (${out.nExpertGroups})`, out.nLimitedGroups);
  if (out.nExpertGroups > 1 && nRoutedExperts / out.nExpertGroups < 2 && groupScoring === "top2Sum") throw ModelConfigError.expected("nExpertGroups", "small enough that every group has >= 2 experts (groups are scored by their top 2)", out.nExpertGroups);
  if (out.nExpertGroups > 1 && (out.nLimitedGroups * nRoutedExperts) / out.nExpertGroups < out.nActivatedExperts) {
    throw ModelConfigError.expected("nLimitedGroups", `enough groups to supply nActivatedExperts (${out.nActivatedExperts})`, out.nLimitedGroups);
  }
  return out;
}

const SCALING_FIELDS = {
  linear: ["type", "factor"],
  llama3: ["type", "factor", "lowFreqFactor", "highFreqFactor", "originalMaxSeqLen"],
  dynamic: ["type", "factor", "originalMaxSeqLen"],
} as const;

/** Fills YaRN defaults and validates a RoPE scaling (a dynamic one against the model's maxSeqLen). */
export function resolveRopeScaling(scaling: RopeScalingInput, maxSeqLen = 0): RopeScaling {
  const types = ["none", "yarn", ...Object.keys(SCALING_FIELDS)];
  if (typeof scaling !== "object" || scaling === null || !types.includes(scaling.type)) {
    throw ModelConfigError.expected("ropeScaling", '{ type: "none" }, { type: "yarn", factor, originalMaxSeqLen, betaFast, betaSlow, mscale }, { type: "linear", factor }, { type: "llama3", ... } or { type: "dynamic", ... }', scaling);
  }
  if (scaling.type === "none") return { type: "none" };
  if (scaling.type !== "yarn") {
    const known: readonly string[] = SCALING_FIELDS[scaling.type];
    for (const key of Object.keys(scaling)) if (!known.includes(key)) throw new ModelConfigError(`ropeScaling.${key}`, `is not a ${scaling.type} field (known: ${known.join(", ")})`);
    for (const key of known) if ((scaling as unknown as Record<string, unknown>)[key] === undefined) throw new ModelConfigError(`ropeScaling.${key}`, `is required for ${scaling.type} scaling`);
    const problem = ropeScalingProblem(scaling, maxSeqLen);
    if (problem) throw new ModelConfigError("ropeScaling", problem);
    return { ...scaling };
  }
  const known = ["type", ...Object.keys(YARN_DEFAULTS), "attentionFactor", "truncate", "alwaysOn"];
  for (const key of Object.keys(scaling)) if (!known.includes(key)) throw new ModelConfigError(`ropeScaling.${key}`, `is not a YaRN field (known: ${known.join(", ")})`);
  const yarn: YarnScaling = { ...YARN_DEFAULTS, ...scaling, type: "yarn" };
  const problem = yarnProblem(yarn);
  if (problem) throw new ModelConfigError("ropeScaling", problem);
  return yarn;
}
