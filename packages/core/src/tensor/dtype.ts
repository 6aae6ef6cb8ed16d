/**
 * Element types. `f32`, `i32` and `bool` are compute types: every kernel accepts them.
 * `f16`, `bf16`, `f8e4m3`, `f8e5m2` and `u8` are storage types: tensors can hold them
 * (for checkpoints and quantised weights) and `cast` converts to and from `f32`.
 */
export type DType = "f32" | "i32" | "bool" | "f16" | "bf16" | "f8e4m3" | "f8e5m2" | "u8";

export const ALL_DTYPES: readonly DType[] = ["f32", "i32", "bool", "f16", "bf16", "f8e4m3", "f8e5m2", "u8"];

export type TypedArray = Float32Array | Int32Array | Uint8Array | Uint16Array;

/** The typed array each dtype is stored in on the CPU (bit patterns for 16- and 8-bit floats). */
export interface DTypeStorage {
  f32: Float32Array;
  i32: Int32Array;
  bool: Uint8Array;
  f16: Uint16Array;
  bf16: Uint16Array;
  f8e4m3: Uint8Array;
  f8e5m2: Uint8Array;
  u8: Uint8Array;
}

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case "f32":
    case "i32":
      return 4;
    case "f16":
    case "bf16":
      return 2;
    case "bool":
    case "f8e4m3":
    case "f8e5m2":
    case "u8":
      return 1;
  }
}

export function isComputeDType(dtype: DType): dtype is "f32" | "i32" | "bool" {
  return dtype === "f32" || dtype === "i32" || dtype === "bool";
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === "f32" || dtype === "f16" || dtype === "bf16" || dtype === "f8e4m3" || dtype === "f8e5m2";
}

export function allocateStorage(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "f32":
      return new Float32Array(size);
    case "i32":
      return new Int32Array(size);
    case "f16":
    case "bf16":
      return new Uint16Array(size);
    case "bool":
    case "f8e4m3":
    case "f8e5m2":
    case "u8":
      return new Uint8Array(size);
  }
}

/** Whether `values` is the storage type of `dtype` (so it can be adopted without copying). */
export function isStorageOf(dtype: DType, values: TypedArray): boolean {
  switch (dtype) {
    case "f32":
      return values instanceof Float32Array;
    case "i32":
      return values instanceof Int32Array;
    case "f16":
    case "bf16":
      return values instanceof Uint16Array;
    default:
      return values instanceof Uint8Array;
  }
}
