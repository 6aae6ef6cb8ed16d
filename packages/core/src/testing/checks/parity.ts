/**
 * Parity checks: a case on the backend under test against the reference backend, and a fused kernel
 * against core's composed fallback (run on the reference backend without fused kernels).
 */
import type { Backend } from "../../backend/backend.ts";
import type { AnyKernelCase } from "../cases/case.ts";
import { compareOutputs } from "../compare.ts";
import type { ResolvedOptions } from "../options.ts";
import { isFusedKernel, runCase } from "../run-case.ts";

async function compareBackends(backend: Backend, other: Backend, c: AnyKernelCase, options: ResolvedOptions, otherLabel: string): Promise<void> {
  const actual = await runCase(backend, c);
  const expected = await runCase(other, c);
  compareOutputs(actual, expected, {
    tolerance: (dtype) => options.tolerance(c, dtype),
    mismatchFraction: c.parityMismatchFraction,
    what: `${c.name}: backend "${backend.name}" vs ${otherLabel}`,
  });
}

/** Outputs (shape, dtype, values) agree with the reference backend's; integer outputs exactly. */
export function checkParity(backend: Backend, reference: Backend, c: AnyKernelCase, options: ResolvedOptions): Promise<void> {
  return compareBackends(backend, reference, c, options, `the reference backend`);
}

/** Whether the case is of a fused kernel (which also has a composed fallback to agree with). */
export function hasComposedFallback(c: AnyKernelCase): boolean {
  return isFusedKernel(c.kernel);
}

/** A fused kernel on the backend under test (its own, or the fallback if it has none) agrees with the composed fallback. */
export function checkFusedAgainstComposed(backend: Backend, unfusedReference: Backend, c: AnyKernelCase, options: ResolvedOptions): Promise<void> {
  return compareBackends(backend, unfusedReference, c, options, `core's composed fallback (on "${unfusedReference.name}")`);
}
