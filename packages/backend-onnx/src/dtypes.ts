/**
 * Core dtypes in ONNX graphs and ORT tensors. Storage dtypes (f16, bf16, FP8) travel as their bit
 * patterns (uint16 / uint8): ONNX has no bitcast and ORT's JavaScript tensors have no bf16 or FP8
 * type, so only data movement runs on them inside a graph; their casts run on the host (see kernels/cast.ts).
 */
import type { DType } from "@r1ts/core";
import { onnx } from "./proto.ts";

const T = onnx.TensorProto.DataType;

export const ONNX_TYPE: Record<DType, number> = {
  f32: T.FLOAT,
  i32: T.INT32,
  bool: T.BOOL,
  f16: T.UINT16,
  bf16: T.UINT16,
  f8e4m3: T.UINT8,
  f8e5m2: T.UINT8,
  u8: T.UINT8,
};

export const ORT_TYPE: Record<DType, string> = {
  f32: "float32",
  i32: "int32",
  bool: "bool",
  f16: "uint16",
  bf16: "uint16",
  f8e4m3: "uint8",
  f8e5m2: "uint8",
  u8: "uint8",
};

export const INT64 = T.INT64;
export const FLOAT = T.FLOAT;
export const INT32 = T.INT32;
export const UINT32 = T.UINT32;
export const DOUBLE = T.DOUBLE;
export const BOOL = T.BOOL;
