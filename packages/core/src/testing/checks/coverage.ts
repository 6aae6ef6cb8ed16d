/** Coverage of the case table: every kernel has cases and golden values, every differentiable kernel a gradient check. */
import { FUSED_KERNELS, NON_DIFFERENTIABLE_KERNELS, PRIMITIVE_KERNELS } from "../../backend/kernels.ts";
import type { KernelName } from "../../backend/kernels.ts";
import type { AnyKernelCase } from "../cases/case.ts";
import { hasGolden } from "./golden.ts";
import { isFiniteDifferenceCase, isGradientCase } from "./gradients.ts";

export interface KernelCoverage {
  kernel: KernelName;
  cases: number;
  golden: number;
  /** Cases whose gradient is checked (parity), and of those, by finite differences. */
  gradient: number;
  finiteDifference: number;
}

export const ALL_KERNELS: readonly KernelName[] = [...PRIMITIVE_KERNELS, ...FUSED_KERNELS];

export function kernelCoverage(cases: readonly AnyKernelCase[]): KernelCoverage[] {
  return ALL_KERNELS.map((kernel) => {
    const mine = cases.filter((c) => c.kernel === kernel);
    return {
      kernel,
      cases: mine.length,
      golden: mine.filter(hasGolden).length,
      gradient: mine.filter(isGradientCase).length,
      finiteDifference: mine.filter(isFiniteDifferenceCase).length,
    };
  });
}

/** What the table lacks: kernels without cases or golden values, differentiable kernels without gradient checks, unknown kernels, duplicate names. */
export function coverageProblems(cases: readonly AnyKernelCase[]): string[] {
  const problems: string[] = [];
  const known = new Set<string>(ALL_KERNELS);
  const covered = new Set(cases.map((c) => c.kernel));
  for (const k of covered) if (!known.has(k)) problems.push(`cases of unknown kernel ${k}`);
  for (const row of kernelCoverage(cases)) {
    if (row.cases === 0) problems.push(`kernel ${row.kernel} has no conformance case`);
    else if (row.golden === 0) problems.push(`kernel ${row.kernel} has no golden case (expected values or properties)`);
    if (!NON_DIFFERENTIABLE_KERNELS.has(row.kernel)) {
      if (row.gradient === 0) problems.push(`differentiable kernel ${row.kernel} has no gradient case`);
      else if (row.finiteDifference === 0) problems.push(`differentiable kernel ${row.kernel} has no finite-difference case`);
    }
  }
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) problems.push(`duplicate case name "${c.name}"`);
    seen.add(c.name);
    if (!c.name.startsWith(`${c.kernel}:`)) problems.push(`case "${c.name}" should start with "${c.kernel}:"`);
  }
  return problems;
}
