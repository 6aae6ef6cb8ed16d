/**
 * Rotary position embedding tables (RoFormer, Su et al. 2021, eq. 15 and 34): pair j of a head of
 * dimension d rotates at frequency freq_j = theta^(-2j/d), by the angle p * freq_j at position p.
 * The rotation itself is the `rope` op (interleaved pairs (x[2j], x[2j+1]) as in DeepSeek, or the
 * half-split layout (x[j], x[j + d/2]) as in Hugging Face Llama/Qwen).
 *
 * Context extension hooks in through `RopeScaling`: a scaling rewrites the frequencies
 * (`scaleFrequencies`), may multiply the attention softmax scale (`ropeAttentionFactor`) and the cos/sin
 * tables (`ropeTableFactor`). YaRN (docs/yarn.md, nn/yarn.ts) and Hugging Face's linear, llama3 and
 * dynamic scalings (nn/rope-scalings.ts) are the members of the union.
 */
import type { Backend } from "../backend/backend.ts";
import { ShapeError } from "../errors.ts";
import { rope } from "../ops/fused/index.ts";
import { reshape } from "../ops/layout.ts";
import { tidy } from "../memory.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type DynamicRopeScaling, type Llama3RopeScaling, type LinearRopeScaling, linearFrequencies, llama3Frequencies } from "./rope-scalings.ts";
import { type YarnScaling, yarnActive, yarnFrequencies, yarnMscale } from "./yarn.ts";

/** How the base frequencies are rescaled for longer contexts: plain RoPE, YaRN, or one of HF's linear, llama3, dynamic. */
export type RopeScaling = { type: "none" } | YarnScaling | LinearRopeScaling | Llama3RopeScaling | DynamicRopeScaling;

export interface RopeConfig {
  /** The rotated dimension of a head (even). */
  headDim: number;
  /** The base theta (1e4 in RoFormer and DeepSeek-V3). */
  theta: number;
  /** The longest sequence the model is run on (scalings such as YaRN decide by it). */
  maxSeqLen: number;
  scaling?: RopeScaling;
}

/** freq_j for j = 0 .. headDim/2 - 1, after the configured scaling. */
export function ropeFrequencies(config: RopeConfig): Float64Array {
  const { headDim, theta } = config;
  if (!Number.isSafeInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) throw new RangeError(`RoPE: headDim must be a positive even integer, got ${headDim}`);
  if (!(theta > 0)) throw new RangeError(`RoPE: theta must be > 0, got ${theta}`);
  const base = new Float64Array(headDim / 2);
  // RoFormer eq. 15: theta_j = 10000^(-2(j-1)/d), here 0-based.
  for (let j = 0; j < base.length; j++) base[j] = Math.pow(theta, (-2 * j) / headDim);
  return scaleFrequencies(base, config);
}

function scaleFrequencies(base: Float64Array, config: RopeConfig): Float64Array {
  const scaling = config.scaling ?? { type: "none" };
  const type = scaling.type;
  switch (type) {
    case "none":
      return base;
    case "yarn":
      return yarnFrequencies(base, scaling as YarnScaling, config.headDim, config.theta, config.maxSeqLen);
    case "linear":
      return linearFrequencies(base, scaling as LinearRopeScaling);
    case "llama3":
      return llama3Frequencies(base, scaling as Llama3RopeScaling);
    case "dynamic":
      // Plain RoPE up to originalMaxSeqLen, the longest the config lets the model run.
      return base;
    default:
      return unknownScaling(type);
  }
}

/**
 * The factor a scaling applies to the attention softmax scale: 1 for plain RoPE; YaRN: mscale^2 when the
 * model runs beyond the original context (`maxSeqLen` > originalMaxSeqLen; omitted = assume it does).
 */
export function ropeAttentionFactor(scaling: RopeScaling | undefined, maxSeqLen = Infinity): number {
  const s = scaling ?? { type: "none" };
  const type = s.type;
  switch (type) {
    case "none":
      return 1;
    case "yarn": {
      const yarn = s as YarnScaling;
      return yarnActive(yarn, maxSeqLen) ? yarnMscale(yarn.factor, yarn.mscale) ** 2 : 1;
    }
    case "linear":
    case "llama3":
    case "dynamic":
      return 1;
    default:
      return unknownScaling(type);
  }
}

/** The factor a scaling applies to the cos and sin tables (so to the rotated part of q and k): YaRN's attentionFactor, else 1. */
export function ropeTableFactor(scaling: RopeScaling | undefined, maxSeqLen = Infinity): number {
  if (scaling?.type !== "yarn") return 1;
  return yarnActive(scaling, maxSeqLen) ? (scaling.attentionFactor ?? 1) : 1;
}

/** Reached only by a scaling type without a case above (the compiler flags it: `type` is not `never`). */
function unknownScaling(type: never): never {
  throw new RangeError(`RoPE: unknown scaling type ${JSON.stringify(type)}`);
}

export interface RopeTables {
  /** cos(p * freq_j), [positions, headDim/2] */
  cos: Tensor;
  /** sin(p * freq_j), [positions, headDim/2] */
  sin: Tensor;
}

/**
 * cos and sin of angle(p, j) = p * freq_j for each position p (a list, or a count n for 0..n-1), times
 * `factor` (`ropeTableFactor`; default 1). Angles are computed in f64 on the host, so long positions keep their precision.
 */
export function ropeTables(frequencies: ArrayLike<number>, positions: ArrayLike<number> | number, backend?: Backend, factor = 1): RopeTables {
  const list: ArrayLike<number> = typeof positions === "number" ? Array.from({ length: positions }, (_, i) => i) : positions;
  const half = frequencies.length;
  const cos = new Float32Array(list.length * half);
  const sin = new Float32Array(list.length * half);
  for (let p = 0; p < list.length; p++) {
    for (let j = 0; j < half; j++) {
      const angle = list[p] * frequencies[j];
      cos[p * half + j] = Math.cos(angle) * factor;
      sin[p * half + j] = Math.sin(angle) * factor;
    }
  }
  return {
    cos: engine.makeTensor(cos, [list.length, half], "f32", backend),
    sin: engine.makeTensor(sin, [list.length, half], "f32", backend),
  };
}

/**
 * Rotates x [B, S, H, D] by `tables`: with S rows every batch row shares positions; with B * S rows
 * (ordered batch-major) each row has its own positions (batched decoding of prompts of different lengths).
 */
export function applyRope(x: Tensor, { cos, sin }: RopeTables, interleaved: boolean): Tensor {
  const [b, s, h, d] = x.shape;
  if (cos.shape[0] === s) return rope(x, cos, sin, { interleaved });
  if (cos.shape[0] !== b * s) {
    throw new ShapeError(`applyRope: tables have ${cos.shape[0]} rows; x ${formatShape(x.shape)} needs ${s} (shared positions) or ${b * s} (per-row positions)`);
  }
  return tidy(() => reshape(rope(reshape(x, [1, b * s, h, d]), cos, sin, { interleaved }), [b, s, h, d]));
}
