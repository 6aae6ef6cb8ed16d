/**
 * Tolerances of the conformance suite: how close a backend's numbers must be to the reference's.
 * Floats compare with |actual - expected| <= atol + rtol * |expected| (numpy's allclose); integer,
 * boolean and storage dtypes (whose values are bit patterns) compare exactly.
 */
import type { KernelName } from "../backend/kernels.ts";
import type { DType } from "../tensor/dtype.ts";

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Tolerance per output dtype. Only `f32` is inexact; every other dtype compares exactly. */
export interface DTypeTolerances {
  f32: Tolerance;
}

/** Finite-difference settings: central differences with `step`, compared with `rtol`/`atol`. */
export interface FiniteDifferenceTolerance extends Tolerance {
  step: number;
}

export interface GradientTolerances {
  /** Analytic gradients on the backend under test vs on the reference backend. */
  parity: Tolerance;
  /** Analytic gradients vs central finite differences of sum(out * w), in f32. */
  finiteDifference: FiniteDifferenceTolerance;
}

/**
 * Loose enough for GPU float32 (fused multiply-add, reordered sums, fast exp), tight enough to catch
 * a wrong formula. The reference backend compares with itself to far better than this.
 */
export const DEFAULT_TOLERANCES: DTypeTolerances = { f32: { rtol: 1e-4, atol: 1e-5 } };

export const DEFAULT_GRADIENT_TOLERANCES: GradientTolerances = {
  parity: { rtol: 1e-3, atol: 1e-4 },
  finiteDifference: { step: 1e-2, rtol: 1e-2, atol: 2e-3 },
};

export const EXACT: Tolerance = { rtol: 0, atol: 0 };

/** Whether a dtype's values compare exactly (integers, booleans, and bit patterns of storage floats). */
export function isExactDType(dtype: DType): boolean {
  return dtype !== "f32";
}

/** The larger of two tolerances, field by field. */
export function looser(a: Tolerance, b: Partial<Tolerance> | undefined): Tolerance {
  if (!b) return a;
  return { rtol: Math.max(a.rtol, b.rtol ?? 0), atol: Math.max(a.atol, b.atol ?? 0) };
}

/**
 * The tolerance for one output: exact for non-f32 dtypes; else the backend's f32 tolerance (or its
 * tolerance for this kernel), widened by what the case itself needs (e.g. a long sum near zero).
 */
export function resolveTolerance(
  dtype: DType,
  kernel: KernelName,
  backend: { tolerance?: { f32?: Partial<Tolerance> }; kernelTolerance?: Partial<Record<KernelName, Partial<Tolerance>>> },
  caseTolerance?: Partial<Tolerance>,
): Tolerance {
  if (isExactDType(dtype)) return EXACT;
  const base = { ...DEFAULT_TOLERANCES.f32, ...backend.tolerance?.f32 };
  return looser({ ...base, ...backend.kernelTolerance?.[kernel] }, caseTolerance);
}
