/**
 * The decoder-only transformer's config, shaped like DeepSeek-V3's `ModelArgs` and HF's `config.json`
 * for Llama/Qwen-style models (GQA + SwiGLU + RoPE). `transformerConfig` fills defaults and validates,
 * so a bad config fails before any tensor is made, naming the field, what was expected and what was given.
 */
import { ModelConfigError } from "./errors.ts";
import type { RopeScaling } from "./rope.ts";
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
  /** Std of the normal initialisation of weight matrices. */
  initStd: number;
  /** Seed of the parameter initialisation. */
  seed: number;
}

type Required_ = "vocabSize" | "dim" | "nLayers" | "nHeads" | "interDim";

/** A RoPE scaling as given: YaRN fields left out take DeepSeek-V3's defaults (YARN_DEFAULTS). */
export type RopeScalingInput = { type: "none" } | ({ type: "yarn" } & Partial<Omit<YarnScaling, "type">>);

export type TransformerConfigInput = Pick<TransformerConfig, Required_> & Partial<Omit<TransformerConfig, Required_ | "ropeScaling">> & { ropeScaling?: RopeScalingInput };

const DEFAULTS = {
  normEps: 1e-6,
  ropeTheta: 10000,
  ropeInterleaved: false,
  ropeScaling: { type: "none" } as RopeScaling,
  maxSeqLen: 2048,
  tieEmbeddings: false,
  attentionBias: false,
  initStd: 0.02,
  seed: 0,
};

const FIELDS: readonly (keyof TransformerConfig)[] = [
  "vocabSize", "dim", "nLayers", "nHeads", "nKvHeads", "headDim", "interDim", "normEps", "ropeTheta",
  "ropeInterleaved", "ropeScaling", "maxSeqLen", "tieEmbeddings", "attentionBias", "initStd", "seed",
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

  const dim = positive("dim", input.dim);
  const nHeads = positive("nHeads", input.nHeads);
  const nKvHeads = positive("nKvHeads", input.nKvHeads ?? nHeads);
  if (nHeads % nKvHeads !== 0) throw ModelConfigError.expected("nKvHeads", `a divisor of nHeads (${nHeads})`, nKvHeads);
  if (input.headDim === undefined && dim % nHeads !== 0) {
    throw ModelConfigError.expected("nHeads", `a divisor of dim (${dim}), or headDim set explicitly`, nHeads);
  }
  const headDim = positive("headDim", input.headDim ?? dim / nHeads);
  if (headDim % 2 !== 0) throw ModelConfigError.expected("headDim", "even (RoPE rotates pairs)", headDim);
  const ropeScaling = resolveRopeScaling(input.ropeScaling ?? DEFAULTS.ropeScaling);
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
    maxSeqLen: positive("maxSeqLen", input.maxSeqLen ?? DEFAULTS.maxSeqLen),
    tieEmbeddings: bool("tieEmbeddings", input.tieEmbeddings ?? DEFAULTS.tieEmbeddings),
    attentionBias: bool("attentionBias", input.attentionBias ?? DEFAULTS.attentionBias),
    initStd,
    seed,
  };
}

/** Fills YaRN defaults and validates a RoPE scaling. */
export function resolveRopeScaling(scaling: RopeScalingInput): RopeScaling {
  if (typeof scaling !== "object" || scaling === null || (scaling.type !== "none" && scaling.type !== "yarn")) {
    throw ModelConfigError.expected("ropeScaling", '{ type: "none" } or { type: "yarn", factor, originalMaxSeqLen, betaFast, betaSlow, mscale }', scaling);
  }
  if (scaling.type === "none") return { type: "none" };
  const known = ["type", ...Object.keys(YARN_DEFAULTS)];
  for (const key of Object.keys(scaling)) if (!known.includes(key)) throw new ModelConfigError(`ropeScaling.${key}`, `is not a YaRN field (known: ${known.join(", ")})`);
  const yarn: YarnScaling = { ...YARN_DEFAULTS, ...scaling, type: "yarn" };
  const problem = yarnProblem(yarn);
  if (problem) throw new ModelConfigError("ropeScaling", problem);
  return yarn;
}
