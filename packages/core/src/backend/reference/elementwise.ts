/** Elementwise kernels of the reference backend: unary, binary with broadcasting, clamp, where, cast. */
import type { KernelImpl, TensorInfo } from "../backend.ts";
import type { ArithmeticKernel, ComparisonKernel, UnaryKernel } from "../kernels.ts";
import type { TensorSpec } from "../shape-inference.ts";
import type { DType, TypedArray } from "../../tensor/dtype.ts";
import { allocateStorage } from "../../tensor/dtype.ts";
import { sizeOf } from "../../tensor/shape.ts";
import { f16ToF32, f32ToF16, f32ToBF16, bf16ToF32 } from "../../tensor/float16.ts";
import { e4m3ToF32, e5m2ToF32, f32ToE4M3, f32ToE5M2 } from "../../quant/fp8.ts";
import { broadcastIndex } from "./broadcast.ts";
import { toDataId, valuesOf } from "./buffer.ts";
import { accessPattern, f32Binary, f32Unary } from "./f32-loops.ts";

type Scalar1 = (x: number) => number;
type Scalar2 = (a: number, b: number) => number;

export const UNARY_FUNCTIONS: Record<UnaryKernel, Scalar1> = {
  Neg: (x) => -x,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Tanh: Math.tanh,
  Sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  Silu: (x) => (x >= 0 ? x / (1 + Math.exp(-x)) : (x * Math.exp(x)) / (1 + Math.exp(x))),
  Relu: (x) => (x > 0 ? x : 0),
  Abs: Math.abs,
  Sin: Math.sin,
  Cos: Math.cos,
};

export const ARITHMETIC_FUNCTIONS: Record<ArithmeticKernel, Scalar2> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: Math.pow,
  Maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  Minimum: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
};

export const COMPARISON_FUNCTIONS: Record<ComparisonKernel, Scalar2> = {
  Equal: (a, b) => (a === b ? 1 : 0),
  NotEqual: (a, b) => (a !== b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  LessEqual: (a, b) => (a <= b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  GreaterEqual: (a, b) => (a >= b ? 1 : 0),
};

/**
 * i32 arithmetic wraps like two's complement hardware (WGSL, CUDA): results are taken modulo 2^32,
 * Mul with Math.imul (exact low bits), and Div truncates toward zero (0 for division by zero).
 */
function intSafe(kernel: string, f: Scalar2, dtype: DType): Scalar2 {
  if (dtype !== "i32") return f;
  if (kernel === "Div") return (a, b) => (b === 0 ? 0 : Math.trunc(a / b) | 0);
  if (kernel === "Mul") return Math.imul;
  if (kernel === "Add" || kernel === "Sub" || kernel === "Pow") return (a, b) => f(a, b) | 0;
  return f;
}

export function unaryKernel(kernel: UnaryKernel): KernelImpl<Record<string, never>> {
  const f = UNARY_FUNCTIONS[kernel];
  return ([x], _attrs, [out]) => {
    const src = valuesOf(x);
    const dst = allocateStorage(out.dtype, src.length);
    if (out.dtype === "f32" && f32Unary(kernel, src as Float32Array, dst as Float32Array)) return [toDataId(dst)];
    for (let i = 0; i < src.length; i++) dst[i] = f(src[i]);
    return [toDataId(dst)];
  };
}

export function binaryMap(a: TensorInfo, b: TensorInfo, out: TensorSpec, f: Scalar2): TypedArray {
  const av = valuesOf(a);
  const bv = valuesOf(b);
  const size = sizeOf(out.shape);
  const dst = allocateStorage(out.dtype, size);
  const ai = broadcastIndex(a.shape, out.shape);
  const bi = broadcastIndex(b.shape, out.shape);
  if (ai === null && bi === null) {
    for (let i = 0; i < size; i++) dst[i] = f(av[i], bv[i]);
  } else if (ai === null && bv.length === 1) {
    const s = bv[0];
    for (let i = 0; i < size; i++) dst[i] = f(av[i], s);
  } else {
    for (let i = 0; i < size; i++) dst[i] = f(av[ai === null ? i : ai[i]], bv[bi === null ? i : bi[i]]);
  }
  return dst;
}

export function binaryKernel(kernel: ArithmeticKernel | ComparisonKernel): KernelImpl<Record<string, never>> {
  const base = (ARITHMETIC_FUNCTIONS as Record<string, Scalar2>)[kernel] ?? (COMPARISON_FUNCTIONS as Record<string, Scalar2>)[kernel];
  return ([a, b], _attrs, [out]) => {
    if (out.dtype === "f32") {
      const dst = new Float32Array(sizeOf(out.shape));
      const aAccess = accessPattern(a.shape, out.shape);
      const bAccess = accessPattern(b.shape, out.shape);
      if (f32Binary(kernel, valuesOf(a) as Float32Array, valuesOf(b) as Float32Array, aAccess, bAccess, dst)) return [toDataId(dst)];
    }
    return [toDataId(binaryMap(a, b, out, intSafe(kernel, base, a.dtype)))];
  };
}

export const clampKernel: KernelImpl<{ min: number; max: number }> = ([x], { min, max }, [out]) => {
  const src = valuesOf(x);
  const dst = allocateStorage(out.dtype, src.length);
  for (let i = 0; i < src.length; i++) dst[i] = src[i] < min ? min : src[i] > max ? max : src[i];
  return [toDataId(dst)];
};

export const whereKernel: KernelImpl<Record<string, never>> = ([c, a, b], _attrs, [out]) => {
  const size = sizeOf(out.shape);
  const cv = valuesOf(c);
  const av = valuesOf(a);
  const bv = valuesOf(b);
  const ci = broadcastIndex(c.shape, out.shape);
  const ai = broadcastIndex(a.shape, out.shape);
  const bi = broadcastIndex(b.shape, out.shape);
  const dst = allocateStorage(out.dtype, size);
  for (let i = 0; i < size; i++) {
    dst[i] = cv[ci === null ? i : ci[i]] ? av[ai === null ? i : ai[i]] : bv[bi === null ? i : bi[i]];
  }
  return [toDataId(dst)];
};

const TO_F32: Partial<Record<DType, (src: Uint16Array & Uint8Array) => Float32Array>> = {
  f16: f16ToF32,
  bf16: bf16ToF32,
  f8e4m3: e4m3ToF32,
  f8e5m2: e5m2ToF32,
};

const FROM_F32: Partial<Record<DType, (src: Float32Array) => Uint16Array | Uint8Array>> = {
  f16: f32ToF16,
  bf16: f32ToBF16,
  f8e4m3: f32ToE4M3,
  f8e5m2: f32ToE5M2,
};

export const castKernel: KernelImpl<{ dtype: DType }> = ([x], { dtype }, [out]) => {
  const src = valuesOf(x);
  if (x.dtype === dtype) return [toDataId(src.slice())];
  const decode = TO_F32[x.dtype];
  if (decode) return [toDataId(decode(src as Uint16Array & Uint8Array))];
  const encode = FROM_F32[dtype];
  if (encode) return [toDataId(encode(src as Float32Array))];
  const dst = allocateStorage(out.dtype, src.length);
  if (dtype === "bool") for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  else if (dtype === "i32") for (let i = 0; i < src.length; i++) dst[i] = floatToI32(src[i]);
  else for (let i = 0; i < src.length; i++) dst[i] = src[i];
  return [toDataId(dst)];
};

/** f32 -> i32 truncates toward zero and saturates at the i32 range (as WGSL does); NaN gives 0. */
function floatToI32(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x >= 2147483647) return 2147483647;
  if (x <= -2147483648) return -2147483648;
  return Math.trunc(x);
}
