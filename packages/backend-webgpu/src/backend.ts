/**
 * The `webgpu` backend: buffers in GPU memory (pooled), every primitive kernel and the fused kernels as
 * hand-written WGSL, recorded into batched command buffers. Values come back to the host only in
 * `read` (tensor.data()).
 */
import { ARITHMETIC_KERNELS, COMPARISON_KERNELS, UNARY_KERNELS } from "@r1ts/core";
import type { Backend, DataId, DType, FusedKernelImpls, PrimitiveKernelImpls, TypedArray } from "@r1ts/core";
import { openDevice } from "./gpu/device.ts";
import type { AdapterReport } from "./gpu/device.ts";
import { GpuData } from "./gpu/gpu-tensor.ts";
import { Runtime } from "./gpu/runtime.ts";
import { fromGpuLayout } from "./gpu/storage.ts";
import { castKernel } from "./kernels/cast.ts";
import { binaryKernel, clampKernel, unaryKernel, whereKernel } from "./kernels/elementwise.ts";
import { fusedKernels } from "./kernels/fused/index.ts";
import { gatherKernel, takeAlongAxisKernel } from "./kernels/gather.ts";
import { concatKernel, padKernel, sliceKernel, transposeKernel } from "./kernels/layout.ts";
import { matMulKernel } from "./kernels/matmul.ts";
import { multinomialKernel } from "./kernels/multinomial.ts";
import { argMaxKernel, reduceKernel } from "./kernels/reduce.ts";
import { oneHotKernel, putAlongAxisAddKernel, scatterAddKernel } from "./kernels/scatter.ts";
import { cumsumKernel, topKKernel } from "./kernels/scan.ts";
import { softmaxKernel } from "./kernels/softmax.ts";

export interface WebGPUBackendOptions {
  /** Leave out the fused kernels (core's composed fallbacks run instead). */
  fused?: boolean;
  powerPreference?: GPUPowerPreference;
}

/** The backend object plus what only this backend offers (adapter facts, the runtime for extra kernels). */
export interface WebGPUBackend extends Backend {
  readonly adapter: AdapterReport;
  readonly runtime: Runtime;
  sync(): Promise<void>;
  destroy(): void;
}

function primitiveKernels(rt: Runtime): PrimitiveKernelImpls {
  const table: Record<string, unknown> = {};
  for (const k of UNARY_KERNELS) table[k] = unaryKernel(rt, k);
  for (const k of [...ARITHMETIC_KERNELS, ...COMPARISON_KERNELS]) table[k] = binaryKernel(rt, k);
  const rest: Omit<PrimitiveKernelImpls, (typeof UNARY_KERNELS)[number] | (typeof ARITHMETIC_KERNELS)[number] | (typeof COMPARISON_KERNELS)[number]> = {
    Clamp: clampKernel(rt),
    Where: whereKernel(rt),
    Cast: castKernel(rt),
    Sum: reduceKernel(rt, "sum"),
    Max: reduceKernel(rt, "max"),
    ArgMax: argMaxKernel(rt),
    Softmax: softmaxKernel(rt, false),
    LogSoftmax: softmaxKernel(rt, true),
    MatMul: matMulKernel(rt),
    Gather: gatherKernel(rt),
    ScatterAdd: scatterAddKernel(rt),
    TakeAlongAxis: takeAlongAxisKernel(rt),
    PutAlongAxisAdd: putAlongAxisAddKernel(rt),
    Transpose: transposeKernel(rt),
    Slice: sliceKernel(rt),
    Pad: padKernel(rt),
    Concat: concatKernel(rt),
    TopK: topKKernel(rt),
    Cumsum: cumsumKernel(rt),
    OneHot: oneHotKernel(rt),
    Multinomial: multinomialKernel(rt),
  };
  return { ...table, ...rest } as PrimitiveKernelImpls;
}

export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const opened = await openDevice(options.powerPreference);
  const rt = new Runtime(opened.device);
  let destroyed = false;
  const fused: Partial<FusedKernelImpls> = options.fused === false ? {} : fusedKernels(rt);
  return {
    name: "webgpu",
    adapter: opened.report,
    runtime: rt,
    write(values: TypedArray, _shape: readonly number[], dtype: DType): DataId {
      return rt.upload(values, dtype);
    },
    async read(dataId: DataId, dtype: DType): Promise<TypedArray> {
      const d = dataId as GpuData;
      const bytes = await rt.queue.read(d.buffer, d.bytes);
      return fromGpuLayout(bytes, dtype, d.size);
    },
    disposeData(dataId: DataId): void {
      rt.release(dataId as GpuData);
    },
    numBuffers: () => rt.liveBuffers,
    kernels: primitiveKernels(rt),
    fused,
    sync: () => rt.queue.sync(),
    describe: () => ({
      device: `${opened.report.description || opened.report.device} (${opened.report.vendor}${opened.report.software ? ", software adapter" : ""})`,
      adapter: opened.report,
      pool: rt.pool.stats(),
      queue: { ...rt.queue.stats, ...rt.queue.timing },
    }),
    destroy(): void {
      if (destroyed) return;
      destroyed = true;
      rt.queue.flush();
      rt.queue.destroy();
      rt.pool.clear();
      opened.close();
    },
  };
}
