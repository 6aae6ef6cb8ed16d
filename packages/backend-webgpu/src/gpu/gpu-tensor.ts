/** The backend's DataId: a pooled GPU buffer holding one tensor's elements. */
import type { DataId, DType, TensorInfo } from "@r1ts/core";

export class GpuData {
  constructor(
    readonly buffer: GPUBuffer,
    /** Bytes that hold elements (the buffer may be larger: pooled size classes). */
    readonly bytes: number,
    readonly dtype: DType,
    readonly size: number,
  ) {}
}

export function gpuDataOf(t: TensorInfo | DataId): GpuData {
  const id = ("dataId" in t ? (t as TensorInfo).dataId : t) as GpuData;
  return id;
}

export function bufferOf(t: TensorInfo): GPUBuffer {
  return (t.dataId as GpuData).buffer;
}
