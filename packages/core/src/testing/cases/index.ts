/** The conformance table: every case of every kernel. `checks/coverage.ts` asserts every kernel has some. */
import type { AnyKernelCase } from "./case.ts";
import { castCases } from "./cast.ts";
import { elementwiseCases } from "./elementwise.ts";
import { fusedCases } from "./fused.ts";
import { indexingCases } from "./indexing.ts";
import { layoutCases } from "./layout.ts";
import { matmulCases } from "./matmul.ts";
import { mlaAttentionCases } from "./mla.ts";
import { reduceCases } from "./reduce.ts";
import { samplingCases } from "./sampling.ts";

export const CONFORMANCE_CASES: readonly AnyKernelCase[] = [
  ...elementwiseCases,
  ...castCases,
  ...reduceCases,
  ...matmulCases,
  ...indexingCases,
  ...layoutCases,
  ...samplingCases,
  ...fusedCases,
  ...mlaAttentionCases,
];

export type { AnyKernelCase, ExpectedOutput, GradientSpec, InputSpec, KernelCase, OutputValues, Rerun, ValueSource } from "./case.ts";
export { kernelCase } from "./case.ts";
export * from "./inputs.ts";
