/**
 * YaRN context extension (Peng et al. 2023, "YaRN: Efficient Context Window Extension of Large Language
 * Models", §3.2 "NTK-by-parts" and eq. 21-22), exactly as DeepSeek-V3's `precompute_freqs_cis`
 * (docs/yarn.md):
 *   fcd(r)  = dim * ln(L / (r * 2 pi)) / (2 ln(base))          the pair index whose wavelength fits r times in L
 *   low     = max(floor(fcd(betaFast)), 0); high = min(ceil(fcd(betaSlow)), dim - 1)
 *   ramp(j) = clamp((j - low) / (high - low), 0, 1)           (high += 0.001 when low == high)
 *   freq_j  = freq_j / s * ramp(j) + freq_j * (1 - ramp(j))    only when maxSeqLen > L
 * and the attention softmax scale is multiplied by mscale^2, mscale = 0.1 * m * ln(s) + 1 (eq. 22 with the
 * DeepSeek coefficient m), again only when the context is extended.
 *
 * Hugging Face's variant (what `rope_scaling: { type: "yarn" }` means in a config.json) differs in three
 * optional fields: it rescales always (`alwaysOn`), may skip the floor/ceil of the range (`truncate: false`),
 * and multiplies cos and sin by an `attentionFactor` (HF's attention_factor, DeepSeek's _mscale), which scales
 * the rotated part of every score by its square.
 */
import { rope as ropeOp } from "../ops/fused/index.ts";
import { type RopeConfig, ropeFrequencies } from "./rope.ts";

export interface YarnScaling {
  type: "yarn";
  /** s: how many times the original context is extended (40 in DeepSeek-V3). */
  factor: number;
  /** L: the context the model was pre-trained on (4096). */
  originalMaxSeqLen: number;
  /** Pairs rotating more than betaFast times over L keep their frequency (32). */
  betaFast: number;
  /** Pairs rotating fewer than betaSlow times over L are fully interpolated (1). */
  betaSlow: number;
  /** m, the coefficient of ln(s) in mscale (1.0 for DeepSeek-V3 671B, 0.707 for V2-Lite). */
  mscale: number;
  /** Multiplies the cos and sin tables (HF attention_factor); default 1. */
  attentionFactor?: number;
  /** Floor / ceil the correction range (default true; HF's `truncate`). */
  truncate?: boolean;
  /** Rescale even when maxSeqLen <= originalMaxSeqLen, as Hugging Face models do (default false, as DeepSeek-V3's inference code). */
  alwaysOn?: boolean;
}

export const YARN_DEFAULTS: Omit<YarnScaling, "type"> = { factor: 40, originalMaxSeqLen: 4096, betaFast: 32, betaSlow: 1, mscale: 1 };

/** fcd(r): the (fractional) pair index whose wavelength fits `rotations` times into L. */
export function yarnCorrectionDim(rotations: number, dim: number, base: number, originalMaxSeqLen: number): number {
  return (dim * Math.log(originalMaxSeqLen / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
}

/** [low, high]: pairs j <= low keep their frequency, j >= high are divided by the factor. */
export function yarnCorrectionRange(scaling: YarnScaling, dim: number, base: number): [number, number] {
  const truncate = scaling.truncate ?? true;
  const lowDim = yarnCorrectionDim(scaling.betaFast, dim, base, scaling.originalMaxSeqLen);
  const highDim = yarnCorrectionDim(scaling.betaSlow, dim, base, scaling.originalMaxSeqLen);
  const low = truncate ? Math.floor(lowDim) : lowDim;
  const high = truncate ? Math.ceil(highDim) : highDim;
  return [Math.max(low, 0), Math.min(high, dim - 1)];
}

/** ramp(j) for j = 0 .. dim/2 - 1: 0 (keep) to 1 (interpolate), linear between low and high. */
export function yarnRamp(low: number, high: number, pairs: number): Float64Array {
  const top = low === high ? high + 0.001 : high;
  return Float64Array.from({ length: pairs }, (_, j) => Math.min(1, Math.max(0, (j - low) / (top - low))));
}

/** mscale = 0.1 * m * ln(factor) + 1 (1 for factor <= 1). */
export function yarnMscale(factor: number, m: number): number {
  return factor <= 1 ? 1 : 0.1 * m * Math.log(factor) + 1;
}

/** Whether YaRN changes anything: the model runs beyond the original context (or the scaling is always on). */
export function yarnActive(scaling: YarnScaling, maxSeqLen: number): boolean {
  return scaling.alwaysOn === true || maxSeqLen > scaling.originalMaxSeqLen;
}

/** The YaRN-blended frequencies from the plain ones (a new array). */
export function yarnFrequencies(base: Float64Array, scaling: YarnScaling, dim: number, theta: number, maxSeqLen: number): Float64Array {
  if (!yarnActive(scaling, maxSeqLen)) return base;
  const [low, high] = yarnCorrectionRange(scaling, dim, theta);
  const ramp = yarnRamp(low, high, base.length);
  return base.map((f, j) => (f / scaling.factor) * ramp[j] + f * (1 - ramp[j]));
}

/** Checks a YaRN scaling's fields; returns a description of the first bad one, or undefined. */
export function yarnProblem(s: YarnScaling): string | undefined {
  if (!(Number.isFinite(s.factor) && s.factor >= 1)) return `factor must be a number >= 1, got ${s.factor}`;
  if (!(Number.isSafeInteger(s.originalMaxSeqLen) && s.originalMaxSeqLen > 0)) return `originalMaxSeqLen must be a positive integer, got ${s.originalMaxSeqLen}`;
  if (!(s.betaFast > 0 && s.betaSlow > 0 && s.betaFast > s.betaSlow)) return `betaFast and betaSlow must be > 0 with betaFast > betaSlow, got ${s.betaFast} and ${s.betaSlow}`;
  if (!(Number.isFinite(s.mscale) && s.mscale >= 0)) return `mscale must be a finite number >= 0, got ${s.mscale}`;
  if (s.attentionFactor !== undefined && !(Number.isFinite(s.attentionFactor) && s.attentionFactor > 0)) return `attentionFactor must be a finite number > 0, got ${s.attentionFactor}`;
  if (s.truncate !== undefined && typeof s.truncate !== "boolean") return `truncate must be true or false, got ${JSON.stringify(s.truncate)}`;
  if (s.alwaysOn !== undefined && typeof s.alwaysOn !== "boolean") return `alwaysOn must be true or false, got ${JSON.stringify(s.alwaysOn)}`;
  return undefined;
}

/**
 * `rope` (the rotary-embedding op) that also carries `rope.frequencies(config)`: the per-pair frequencies
 * after any scaling (YaRN included), as f32.
 */
export const rope: typeof ropeOp & { frequencies(config: RopeConfig): Float32Array } = Object.assign(
  (...args: Parameters<typeof ropeOp>) => ropeOp(...args),
  { frequencies: (config: RopeConfig): Float32Array => Float32Array.from(ropeFrequencies(config)) },
);
