/**
 * @r1ts/core/testing: the backend conformance suite and its helpers.
 *
 *   import { describeConformance } from "@r1ts/core/testing";
 *   describeConformance("webgpu", () => createWebGPUBackend(), { tolerance: { f32: { rtol: 1e-4, atol: 1e-5 } } });
 */
import "../autograd/gradients/index.ts";

export { describeConformance } from "./describe-conformance.ts";
export type { CreateBackend } from "./describe-conformance.ts";
export type { ConformanceOptions, ResolvedOptions } from "./options.ts";
export { resolveOptions } from "./options.ts";
export { allClose, expectAllClose, AllCloseError, formatIndex } from "./all-close.ts";
export type { AllCloseOptions, AllCloseResult } from "./all-close.ts";
export { DEFAULT_TOLERANCES, DEFAULT_GRADIENT_TOLERANCES, EXACT, isExactDType, resolveTolerance } from "./tolerance.ts";
export type { DTypeTolerances, FiniteDifferenceTolerance, GradientTolerances, Tolerance } from "./tolerance.ts";
export * from "./cases/index.ts";
export { compareOutputs } from "./compare.ts";
export type { CompareOptions, ExpectedValues } from "./compare.ts";
export { runCase, runKernelOn, hostInputs, lossWeights, outputSpecs, assertNoLeak, LeakError, isFusedKernel } from "./run-case.ts";
export { checkGolden, hasGolden } from "./checks/golden.ts";
export { checkParity, checkFusedAgainstComposed, hasComposedFallback } from "./checks/parity.ts";
export { analyticGradients, finiteDifferenceGradients, checkFiniteDifferences, checkGradientParity, isGradientCase, isFiniteDifferenceCase } from "./checks/gradients.ts";
export { kernelCoverage, coverageProblems, ALL_KERNELS } from "./checks/coverage.ts";
export type { KernelCoverage } from "./checks/coverage.ts";
export { CHATML_TEMPLATE, tinyHfTokenizer, writeTinyHfFolder } from "./tiny-hf-folder.ts";
export type { TinyHfFolderOptions } from "./tiny-hf-folder.ts";
export { conversationParquetSchema } from "./conversation-parquet.ts";
