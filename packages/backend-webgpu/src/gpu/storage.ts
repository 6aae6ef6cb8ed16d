/**
 * How each dtype lives in a GPU buffer. f32 and i32 as themselves; bool as one u32 per element (0 or 1),
 * so every compute dtype is 32-bit; the storage dtypes packed: f16/bf16 two per u32, FP8 and u8 four
 * per u32 (little-endian, element i in bits 8*(i%4) of word i/4 for bytes).
 */
import type { DType, TypedArray } from "@r1ts/core";

/** Bits per element in the GPU buffer. */
export function gpuBits(dtype: DType): 32 | 16 | 8 {
  switch (dtype) {
    case "f32":
    case "i32":
    case "bool":
      return 32;
    case "f16":
    case "bf16":
      return 16;
    default:
      return 8;
  }
}

/** Bytes a tensor of `size` elements takes on the GPU (whole u32 words). */
export function gpuBytes(dtype: DType, size: number): number {
  return Math.ceil((size * gpuBits(dtype)) / 32) * 4;
}

/** Host storage -> the bytes to upload. */
export function toGpuLayout(values: TypedArray, dtype: DType): ArrayBufferView {
  if (dtype === "bool") {
    const out = new Uint32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
    return out;
  }
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (bytes.byteLength % 4 === 0) return bytes;
  const padded = new Uint8Array(gpuBytes(dtype, values.length));
  padded.set(bytes);
  return padded;
}

/** Downloaded bytes -> host storage of `dtype`. */
export function fromGpuLayout(bytes: ArrayBuffer, dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "f32":
      return new Float32Array(bytes, 0, size);
    case "i32":
      return new Int32Array(bytes, 0, size);
    case "bool": {
      const words = new Uint32Array(bytes, 0, size);
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = words[i] ? 1 : 0;
      return out;
    }
    case "f16":
    case "bf16":
      return new Uint16Array(bytes, 0, size);
    default:
      return new Uint8Array(bytes, 0, size);
  }
}

/** WGSL element type of a 32-bit compute dtype. */
export function wgslType(dtype: DType): "f32" | "i32" | "u32" {
  return dtype === "f32" ? "f32" : dtype === "i32" ? "i32" : "u32";
}
