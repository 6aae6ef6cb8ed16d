/**
 * Buffers of the tfjs backend: each r1ts DataId wraps one tf.Tensor. Compute dtypes map to tfjs's
 * (f32 -> float32, i32 -> int32, bool -> bool); storage dtypes (f16, bf16, f8e4m3, f8e5m2, u8) are
 * held as int32 tensors of their bit patterns, since tfjs has no such dtypes.
 */
import { BackendError } from "@r1ts/core";
import type { DType, TypedArray, TensorInfo } from "@r1ts/core";
import type { Tf, TfDType, TfTensor } from "./tf.ts";

export class TfjsBuffer {
  constructor(readonly tensor: TfTensor) {}
}

/** The tfjs dtype that holds an r1ts dtype. */
export function tfDTypeOf(dtype: DType): TfDType {
  switch (dtype) {
    case "f32":
      return "float32";
    case "bool":
      return "bool";
    default:
      return "int32";
  }
}

/** The tf.Tensor of a kernel input, reshaped to the input's shape (a reshape view shares its buffer). */
export function tensorOf(tf: Tf, info: TensorInfo): TfTensor {
  const t = (info.dataId as TfjsBuffer).tensor;
  if (sameShape(t.shape, info.shape)) return t;
  return tf.reshape(t, [...info.shape]);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Host values as the typed array tfjs accepts for a dtype (storage bit patterns widen to Int32Array). */
export function toTfValues(values: TypedArray, dtype: DType): Float32Array | Int32Array | Uint8Array {
  switch (dtype) {
    case "f32":
      return values instanceof Float32Array ? values : Float32Array.from(values);
    case "bool":
      return values instanceof Uint8Array ? values : Uint8Array.from(values, (v) => (v ? 1 : 0));
    case "i32":
      return values instanceof Int32Array ? values : Int32Array.from(values);
    default:
      return Int32Array.from(values);
  }
}

/** What tfjs returned, as the storage array of `dtype` (a fresh copy). */
export function fromTfValues(values: ArrayLike<number>, dtype: DType): TypedArray {
  switch (dtype) {
    case "f32":
      return Float32Array.from(values);
    case "i32":
      return Int32Array.from(values);
    case "f16":
    case "bf16":
      return Uint16Array.from(values);
    case "bool":
    case "f8e4m3":
    case "f8e5m2":
    case "u8":
      return Uint8Array.from(values);
  }
}

/** Checks that a kernel produced what shape inference promised (catches a wrong tfjs op early). */
export function checkOutput(kernel: string, t: TfTensor, spec: { shape: readonly number[]; dtype: DType }): void {
  if (!sameShape(t.shape, spec.shape) || t.dtype !== tfDTypeOf(spec.dtype)) {
    throw new BackendError(
      `tfjs backend, kernel ${kernel}: produced ${t.dtype} [${t.shape.join(", ")}] where ${tfDTypeOf(spec.dtype)} [${spec.shape.join(", ")}] was expected (a bug in @r1ts/backend-tfjs)`,
    );
  }
}
