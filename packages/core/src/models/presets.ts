/**
 * Model presets: DeepSeek-V3 (671B) and DeepSeek-V2-Lite (16B) exactly as DeepSeek-V3's
 * `inference/configs` (docs/mla.md), Llama/Qwen-style presets from their HF `config.json`, and small
 * presets that train on a CPU. A preset is a plain TransformerConfigInput: `presetConfig(name, overrides)`
 * copies it with overrides (e.g. the vocabSize of your tokenizer).
 */
import { R1tsError } from "../errors.ts";
import type { TransformerConfigInput } from "../nn/transformer-config.ts";

/** A preset name that does not exist; lists the ones that do. */
export class UnknownPresetError extends R1tsError {
  constructor(readonly preset: string) {
    super(`unknown model preset ${JSON.stringify(preset)}; presets: ${Object.keys(MODEL_PRESETS).join(", ")}`);
  }
}

/** DeepSeek-V3's YaRN defaults (rope_factor 40 over original_seq_len 4096, max_seq_len 16384). */
const DEEPSEEK_ROPE = { ropeTheta: 1e4, ropeInterleaved: true, maxSeqLen: 16384, normEps: 1e-6 } as const;

export const MODEL_PRESETS = {
  /** DeepSeek-V3 671B (without its multi-token-prediction module). */
  "deepseek-v3-671b": {
    vocabSize: 129280, dim: 7168, interDim: 18432, moeInterDim: 2048, nLayers: 61, nDenseLayers: 3, nHeads: 128,
    nRoutedExperts: 256, nSharedExperts: 1, nActivatedExperts: 8, nExpertGroups: 8, nLimitedGroups: 4,
    scoreFunc: "sigmoid", routeScale: 2.5,
    attention: "mla", qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128,
    ...DEEPSEEK_ROPE,
    ropeScaling: { type: "yarn", factor: 40, originalMaxSeqLen: 4096, betaFast: 32, betaSlow: 1, mscale: 1.0 },
  },
  /** DeepSeek-V2-Lite 16B (15.7B): no query compression, softmax gate, 2 shared experts. */
  "deepseek-v2-lite-16b": {
    vocabSize: 102400, dim: 2048, interDim: 10944, moeInterDim: 1408, nLayers: 27, nDenseLayers: 1, nHeads: 16,
    nRoutedExperts: 64, nSharedExperts: 2, nActivatedExperts: 6, nExpertGroups: 1, nLimitedGroups: 1,
    scoreFunc: "softmax", routeScale: 1.0,
    attention: "mla", qLoraRank: 0, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128,
    ...DEEPSEEK_ROPE,
    ropeScaling: { type: "yarn", factor: 40, originalMaxSeqLen: 4096, betaFast: 32, betaSlow: 1, mscale: 0.707 },
  },
  /** Llama-3.2-1B (HF config; its "llama3" RoPE scaling is not implemented: contexts up to 8192 as plain RoPE). */
  "llama-3.2-1b": {
    vocabSize: 128256, dim: 2048, interDim: 8192, nLayers: 16, nHeads: 32, nKvHeads: 8, headDim: 64,
    ropeTheta: 500000, normEps: 1e-5, maxSeqLen: 8192, tieEmbeddings: true,
  },
  /** Qwen2.5-0.5B (HF config): GQA 14/2, q/k/v biases, tied embeddings. */
  "qwen2.5-0.5b": {
    vocabSize: 151936, dim: 896, interDim: 4864, nLayers: 24, nHeads: 14, nKvHeads: 2, headDim: 64,
    ropeTheta: 1e6, normEps: 1e-6, maxSeqLen: 32768, tieEmbeddings: true, attentionBias: true,
  },
  /** Qwen2.5-1.5B (HF config). */
  "qwen2.5-1.5b": {
    vocabSize: 151936, dim: 1536, interDim: 8960, nLayers: 28, nHeads: 12, nKvHeads: 2, headDim: 128,
    ropeTheta: 1e6, normEps: 1e-6, maxSeqLen: 32768, tieEmbeddings: true, attentionBias: true,
  },
  /** A Llama-style model that trains on a CPU in minutes (~0.2M parameters with a 256-token vocabulary). */
  "tiny-llama": {
    vocabSize: 256, dim: 64, interDim: 172, nLayers: 4, nHeads: 4, nKvHeads: 2, maxSeqLen: 256, ropeTheta: 1e4,
  },
  /** Every DeepSeek-V3 part at CPU scale: MLA with query compression, sigmoid MoE with groups, shared expert, a dense first layer, YaRN. */
  "tiny-deepseek": {
    vocabSize: 256, dim: 64, interDim: 128, moeInterDim: 32, nLayers: 3, nDenseLayers: 1, nHeads: 4,
    nRoutedExperts: 8, nSharedExperts: 1, nActivatedExperts: 2, nExpertGroups: 4, nLimitedGroups: 2,
    scoreFunc: "sigmoid", routeScale: 2.5,
    attention: "mla", qLoraRank: 32, kvLoraRank: 32, qkNopeHeadDim: 16, qkRopeHeadDim: 8, vHeadDim: 16,
    ropeTheta: 1e4, ropeInterleaved: true, maxSeqLen: 512,
    ropeScaling: { type: "yarn", factor: 4, originalMaxSeqLen: 128, betaFast: 32, betaSlow: 1, mscale: 1.0 },
  },
} satisfies Record<string, TransformerConfigInput>;

export type ModelPresetName = keyof typeof MODEL_PRESETS;

export function isModelPreset(name: string): name is ModelPresetName {
  return Object.hasOwn(MODEL_PRESETS, name);
}

/** A copy of preset `name` with `overrides` applied (UnknownPresetError for a name that is not a preset). */
export function presetConfig(name: string, overrides: Partial<TransformerConfigInput> = {}): TransformerConfigInput {
  if (!isModelPreset(name)) throw new UnknownPresetError(name);
  return structuredClone({ ...MODEL_PRESETS[name], ...overrides }) as TransformerConfigInput;
}
