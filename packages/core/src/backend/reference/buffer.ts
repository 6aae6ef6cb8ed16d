/** Reference backend buffers: plain typed arrays in host memory. */
import type { DataId, TensorInfo } from "../backend.ts";
import type { TypedArray } from "../../tensor/dtype.ts";

export class HostBuffer {
  constructor(readonly values: TypedArray) {}
}

export function valuesOf(t: TensorInfo): TypedArray {
  return (t.dataId as HostBuffer).values;
}

export function f32Of(t: TensorInfo): Float32Array {
  return (t.dataId as HostBuffer).values as Float32Array;
}

export function i32Of(t: TensorInfo): Int32Array {
  return (t.dataId as HostBuffer).values as Int32Array;
}

export function toDataId(values: TypedArray): DataId {
  return new HostBuffer(values);
}
