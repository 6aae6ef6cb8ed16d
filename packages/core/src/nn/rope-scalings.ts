/**
 * RoPE frequency rescalings for longer contexts besides YaRN (nn/yarn.ts), as Hugging Face models
 * declare them in `config.json`'s `rope_scaling`:
 *
 *   linear (Chen et al. 2023, "position interpolation"):  freq_j / factor
 *   llama3 (Llama 3.1): with wavelength w_j = 2 pi / freq_j and L the original context,
 *            w_j < L / highFreqFactor                 keep freq_j                  (high frequencies)
 *            w_j > L / lowFreqFactor                  freq_j / factor              (low frequencies)
 *            otherwise, with s = (L / w_j - lowFreqFactor) / (highFreqFactor - lowFreqFactor),
 *                                                     (1 - s) freq_j / factor + s freq_j
 *   dynamic (dynamic NTK): the base grows with the running length beyond L; up to L it is plain RoPE,
 *            which is all r1ts runs (the config refuses maxSeqLen > originalMaxSeqLen).
 */

export interface LinearRopeScaling {
  type: "linear";
  factor: number;
}

export interface Llama3RopeScaling {
  type: "llama3";
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  /** L: the context of the original pre-training (8192 for Llama 3.1). */
  originalMaxSeqLen: number;
}

export interface DynamicRopeScaling {
  type: "dynamic";
  factor: number;
  /** Plain RoPE up to this many positions (HF: max_position_embeddings). */
  originalMaxSeqLen: number;
}

export function linearFrequencies(base: Float64Array, s: LinearRopeScaling): Float64Array {
  return base.map((f) => f / s.factor);
}

export function llama3Frequencies(base: Float64Array, s: Llama3RopeScaling): Float64Array {
  const lowWavelength = s.originalMaxSeqLen / s.lowFreqFactor;
  const highWavelength = s.originalMaxSeqLen / s.highFreqFactor;
  return base.map((f) => {
    const wavelength = (2 * Math.PI) / f;
    if (wavelength < highWavelength) return f;
    if (wavelength > lowWavelength) return f / s.factor;
    const smooth = (s.originalMaxSeqLen / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

/** Checks a linear, llama3 or dynamic scaling against the model's maxSeqLen; the first problem, or undefined. */
export function ropeScalingProblem(s: LinearRopeScaling | Llama3RopeScaling | DynamicRopeScaling, maxSeqLen: number): string | undefined {
  if (!(Number.isFinite(s.factor) && s.factor > 0)) return `factor must be a finite number > 0, got ${s.factor}`;
  if (s.type === "linear") return undefined;
  if (!(Number.isSafeInteger(s.originalMaxSeqLen) && s.originalMaxSeqLen > 0)) return `originalMaxSeqLen must be a positive integer, got ${s.originalMaxSeqLen}`;
  if (s.type === "dynamic") {
    if (maxSeqLen > s.originalMaxSeqLen) {
      return `dynamic NTK scaling beyond originalMaxSeqLen (${s.originalMaxSeqLen}) is not implemented: set maxSeqLen <= ${s.originalMaxSeqLen} (got ${maxSeqLen})`;
    }
    return undefined;
  }
  if (!(s.lowFreqFactor > 0 && s.highFreqFactor > s.lowFreqFactor)) {
    return `lowFreqFactor and highFreqFactor must be > 0 with highFreqFactor > lowFreqFactor, got ${s.lowFreqFactor} and ${s.highFreqFactor}`;
  }
  return undefined;
}
