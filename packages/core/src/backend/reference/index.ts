/**
 * The reference backend: every kernel as plain TypeScript loops over typed arrays in host memory.
 * It is the specification other backends are tested against, so it favours clarity and accumulates
 * in f64 where that makes it the more accurate side of a comparison.
 */
import type { Backend, BackendFactory, DataId, PrimitiveKernelImpls } from "../backend.ts";
import { ARITHMETIC_KERNELS, COMPARISON_KERNELS, UNARY_KERNELS } from "../kernels.ts";
import type { DType, TypedArray } from "../../tensor/dtype.ts";
import { recordOf } from "../../util/record.ts";
import { HostBuffer } from "./buffer.ts";
import { binaryKernel, castKernel, clampKernel, unaryKernel, whereKernel } from "./elementwise.ts";
import { referenceFused } from "./fused.ts";
import { gatherKernel, oneHotKernel, putAlongAxisAddKernel, scatterAddKernel, takeAlongAxisKernel } from "./indexing.ts";
import { concatKernel, padKernel, sliceKernel, transposeKernel } from "./layout.ts";
import { matMulKernel } from "./matmul.ts";
import { argMaxKernel, cumsumKernel, logSoftmaxKernel, maxKernel, softmaxKernel, sumKernel, topKKernel } from "./reduce.ts";
import { multinomialKernel } from "./sampling.ts";

const kernels: PrimitiveKernelImpls = {
  ...recordOf(UNARY_KERNELS, unaryKernel),
  ...recordOf([...ARITHMETIC_KERNELS, ...COMPARISON_KERNELS], binaryKernel),
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

export interface ReferenceBackendOptions {
  /** Leave out the fused kernels, so core's composed fallbacks run (used to test those). */
  fused?: boolean;
}

export function createReferenceBackend(options: ReferenceBackendOptions = {}): Backend {
  let live = 0;
  return {
    name: options.fused === false ? "reference-unfused" : "reference",
    write(values: TypedArray): DataId {
      live++;
      return new HostBuffer(values.slice());
    },
    async read(dataId: DataId): Promise<TypedArray> {
      return (dataId as HostBuffer).values.slice();
    },
    readSync(dataId: DataId, _dtype: DType): TypedArray {
      return (dataId as HostBuffer).values.slice();
    },
    disposeData(): void {
      live--;
    },
    numBuffers: () => live,
    kernels: countAllocations(kernels, () => live++),
    fused: options.fused === false ? {} : countAllocations(referenceFused, () => live++),
    describe: () => ({ device: "host CPU, plain TypeScript loops" }),
  };
}

/** Wraps each kernel so every buffer it returns is counted as live. */
function countAllocations<T extends Record<string, unknown>>(table: T, onAllocate: () => void): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, impl] of Object.entries(table)) {
    const f = impl as (...args: unknown[]) => DataId[];
    wrapped[name] = (...args: unknown[]) => {
      const out = f(...args);
      for (let i = 0; i < out.length; i++) onAllocate();
      return out;
    };
  }
  return wrapped as T;
}

export const referenceBackendFactory: BackendFactory = {
  name: "reference",
  priority: 0,
  create: (options) => createReferenceBackend(options as ReferenceBackendOptions),
};
