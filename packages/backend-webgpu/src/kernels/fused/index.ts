/** The fused kernels this backend implements itself (core composes any others from primitives). */
import type { FusedKernelImpls } from "@r1ts/core";
import type { Runtime } from "../../gpu/runtime.ts";
import { attentionKernel } from "./attention.ts";
import { mlaAttentionKernel } from "./mla-attention.ts";
import { crossEntropyKernel, rmsNormKernel } from "./row-norms.ts";
import { adamwKernel, ropeKernel } from "./rope-adamw.ts";

export function fusedKernels(rt: Runtime): Partial<FusedKernelImpls> {
  return {
    RMSNorm: rmsNormKernel(rt),
    RoPE: ropeKernel(rt),
    CrossEntropy: crossEntropyKernel(rt),
    Attention: attentionKernel(rt),
    AdamW: adamwKernel(rt),
    MLAAttention: mlaAttentionKernel(rt),
  };
}
