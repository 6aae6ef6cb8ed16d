/** What a backend package tells the conformance suite: its tolerances, and what to skip and why. */
import type { KernelName } from "../backend/kernels.ts";
import type { DType } from "../tensor/dtype.ts";
import type { AnyKernelCase } from "./cases/case.ts";
import { DEFAULT_GRADIENT_TOLERANCES, looser, resolveTolerance } from "./tolerance.ts";
import type { FiniteDifferenceTolerance, GradientTolerances, Tolerance } from "./tolerance.ts";

export interface ConformanceOptions {
  /** f32 tolerance of this backend (default rtol 1e-4, atol 1e-5); other dtypes compare exactly. */
  tolerance?: { f32?: Partial<Tolerance> };
  /** Replaces the f32 tolerance for particular kernels (e.g. a looser MatMul on tensor cores). */
  kernelTolerance?: Partial<Record<KernelName, Partial<Tolerance>>>;
  /** Gradient tolerances: parity with the reference, and finite differences (step, rtol, atol). */
  gradientTolerance?: { parity?: Partial<Tolerance>; finiteDifference?: Partial<FiniteDifferenceTolerance> };
  /** Skips the whole suite, printing this reason once (e.g. "no GPU adapter"). */
  skip?: string;
  /** Skips single cases or whole kernels: case name or kernel name -> reason (printed with the skipped test). */
  skipCases?: Record<string, string>;
  /** Runs these cases instead of the built-in table (e.g. the table plus a backend's own). */
  cases?: readonly AnyKernelCase[];
}

/** The settings the checks use, with every default filled in. */
export interface ResolvedOptions {
  /** Tolerance of an output of `dtype` of `c`. */
  tolerance(c: AnyKernelCase, dtype: DType): Tolerance;
  gradient(c: AnyKernelCase): GradientTolerances;
  /** Why `c` is skipped, or undefined. */
  skipReason(c: AnyKernelCase): string | undefined;
}

export function resolveOptions(options: ConformanceOptions = {}): ResolvedOptions {
  const backend = { tolerance: options.tolerance, kernelTolerance: options.kernelTolerance };
  const tolerance = (c: AnyKernelCase, dtype: DType): Tolerance => resolveTolerance(dtype, c.kernel, backend, c.tolerance);
  return {
    tolerance,
    gradient: (c) => {
      const forward = tolerance(c, "f32");
      const fdCase = c.gradient ? c.gradient : {};
      return {
        parity: looser({ ...DEFAULT_GRADIENT_TOLERANCES.parity, ...options.gradientTolerance?.parity }, forward),
        finiteDifference: {
          ...looser({ ...DEFAULT_GRADIENT_TOLERANCES.finiteDifference, ...options.gradientTolerance?.finiteDifference }, fdCase.tolerance),
          step: fdCase.step ?? options.gradientTolerance?.finiteDifference?.step ?? DEFAULT_GRADIENT_TOLERANCES.finiteDifference.step,
        },
      };
    },
    skipReason: (c) => options.skipCases?.[c.name] ?? options.skipCases?.[c.kernel],
  };
}
