/** The lowering of every kernel to ONNX: a mapped type, so the compiler reports a kernel without one. */
import type { BinaryKernel, KernelAttrs, KernelName, UnaryKernel } from "@r1ts/core";
import { elementwiseLowerings } from "./elementwise.ts";
import { fusedLowerings } from "./fused.ts";
import { indexingLowerings } from "./indexing.ts";
import { layoutLowerings } from "./layout.ts";
import type { Lowering } from "./lowering.ts";
import { reduceLowerings } from "./reduce.ts";
import { multinomialLowering } from "./sampling.ts";

export const LOWERINGS: { [K in KernelName]: Lowering<KernelAttrs[K]> } = {
  ...(elementwiseLowerings as { [K in UnaryKernel | BinaryKernel | "Clamp" | "Where" | "Cast"]: Lowering<KernelAttrs[K]> }),
  ...reduceLowerings,
  ...layoutLowerings,
  ...indexingLowerings,
  Multinomial: multinomialLowering,
  ...fusedLowerings,
};

export { NotExpressibleError } from "./lowering.ts";
export type { LowerContext, Lowering } from "./lowering.ts";
