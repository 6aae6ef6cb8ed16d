/** Every kernel of the tfjs backend, keyed by kernel name (the compiler reports a missing primitive). */
import { ARITHMETIC_KERNELS, COMPARISON_KERNELS, UNARY_KERNELS } from "@r1ts/core";
import type { FusedAttrs, PrimitiveAttrs } from "@r1ts/core";
import { castKernel } from "./cast.ts";
import { arithmeticKernel, clampKernel, comparisonKernel, unaryKernel, whereKernel } from "./elementwise.ts";
import { adamwKernel, attentionKernel, crossEntropyKernel, mlaAttentionKernel, rmsNormKernel, ropeKernel } from "./fused.ts";
import { gatherKernel, oneHotKernel, putAlongAxisAddKernel, scatterAddKernel, takeAlongAxisKernel } from "./indexing.ts";
import type { TfKernel } from "./kernel.ts";
import { concatKernel, padKernel, sliceKernel, transposeKernel } from "./layout.ts";
import { matMulKernel } from "./matmul.ts";
import { argMaxKernel, cumsumKernel, logSoftmaxKernel, maxKernel, softmaxKernel, sumKernel, topKKernel } from "./reduce.ts";
import { multinomialKernel } from "./sampling.ts";

export type PrimitiveTfKernels = { [K in keyof PrimitiveAttrs]: TfKernel<PrimitiveAttrs[K]> };
/** The fused kernels tfjs does well; core composes any others from the primitives. */
export type FusedTfKernels = { [K in keyof FusedAttrs]?: TfKernel<FusedAttrs[K]> };

function table<K extends string, V>(keys: readonly K[], make: (k: K) => V): Record<K, V> {
  return Object.fromEntries(keys.map((k) => [k, make(k)])) as Record<K, V>;
}

export const PRIMITIVE_TF_KERNELS: PrimitiveTfKernels = {
  ...table(UNARY_KERNELS, unaryKernel),
  ...table(ARITHMETIC_KERNELS, arithmeticKernel),
  ...table(COMPARISON_KERNELS, comparisonKernel),
  Clamp: clampKernel,
  Where: whereKernel,
  Cast: castKernel,
  Sum: sumKernel,
  Max: maxKernel,
  ArgMax: argMaxKernel,
  Softmax: softmaxKernel,
  LogSoftmax: logSoftmaxKernel,
  MatMul: matMulKernel,
  Gather: gatherKernel,
  ScatterAdd: scatterAddKernel,
  TakeAlongAxis: takeAlongAxisKernel,
  PutAlongAxisAdd: putAlongAxisAddKernel,
  Transpose: transposeKernel,
  Slice: sliceKernel,
  Pad: padKernel,
  Concat: concatKernel,
  TopK: topKKernel,
  Cumsum: cumsumKernel,
  OneHot: oneHotKernel,
  Multinomial: multinomialKernel,
};

export const FUSED_TF_KERNELS: FusedTfKernels = {
  RMSNorm: rmsNormKernel,
  RoPE: ropeKernel,
  CrossEntropy: crossEntropyKernel,
  Attention: attentionKernel,
  MLAAttention: mlaAttentionKernel,
  AdamW: adamwKernel,
};
