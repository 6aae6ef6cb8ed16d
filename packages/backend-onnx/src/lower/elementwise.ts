/** Elementwise kernels: unary math, broadcasting arithmetic (i32 wraps; i32 division by zero gives 0), comparisons, clamp, where, casts. */
import type { BinaryKernel, ComparisonKernel, DType, PrimitiveAttrs, UnaryKernel } from "@r1ts/core";
import { ARITHMETIC_KERNELS, COMPARISON_KERNELS, UNARY_KERNELS, isComputeDType } from "@r1ts/core";
import { BOOL, FLOAT, INT32, ONNX_TYPE } from "../dtypes.ts";
import type { GraphBuilder } from "../graph-builder.ts";
import { type Lowering, NotExpressibleError } from "./lowering.ts";

const UNARY_OPS: Record<UnaryKernel, (g: GraphBuilder, x: string, dtype: DType) => string> = {
  Neg: (g, x) => g.op("Neg", [x]),
  Exp: (g, x) => g.op("Exp", [x]),
  Log: (g, x) => g.op("Log", [x]),
  Sqrt: (g, x) => g.op("Sqrt", [x]),
  Rsqrt: (g, x) => g.op("Reciprocal", [g.op("Sqrt", [x])]),
  Tanh: (g, x) => g.op("Tanh", [x]),
  Sigmoid: (g, x) => g.op("Sigmoid", [x]),
  // silu(x) = x * sigmoid(x)
  Silu: (g, x) => g.op("Mul", [x, g.op("Sigmoid", [x])]),
  Relu: (g, x, dtype) => (dtype === "i32" ? g.op("Max", [x, g.i32(0)]) : g.op("Relu", [x])),
  Abs: (g, x) => g.op("Abs", [x]),
  Sin: (g, x) => g.op("Sin", [x]),
  Cos: (g, x) => g.op("Cos", [x]),
};

const ARITHMETIC_OPS: Record<(typeof ARITHMETIC_KERNELS)[number], string> = { Add: "Add", Sub: "Sub", Mul: "Mul", Div: "Div", Pow: "Pow", Maximum: "Max", Minimum: "Min" };

function arithmetic(kernel: (typeof ARITHMETIC_KERNELS)[number]): Lowering<Record<string, never>> {
  return (g, [a, b], _attrs, { inputs }) => {
    if (inputs[0].dtype === "i32" && kernel === "Div") {
      // Integer division truncates toward zero; division by zero gives 0 (the contract), never a trap.
      const zero = g.op("Equal", [b, g.i32(0)]);
      const safe = g.op("Where", [zero, g.i32(1), b]);
      return [g.op("Where", [zero, g.i32(0), g.op("Div", [a, safe])])];
    }
    if (inputs[0].dtype === "i32" && kernel === "Pow") {
      // Math.pow in f64, then wrapped to 32 bits as the reference does (exact for results below 2^53).
      const p = g.op("Pow", [g.op("Cast", [a], { to: 11 }), g.op("Cast", [b], { to: 11 })]);
      return [g.op("Cast", [g.op("Cast", [p], { to: 7 })], { to: INT32 })];
    }
    return [g.op(ARITHMETIC_OPS[kernel], [a, b])];
  };
}

const COMPARISON_OPS: Record<ComparisonKernel, string> = { Equal: "Equal", NotEqual: "Equal", Less: "Less", LessEqual: "LessOrEqual", Greater: "Greater", GreaterEqual: "GreaterOrEqual" };

function comparison(kernel: ComparisonKernel): Lowering<Record<string, never>> {
  return (g, [a0, b0], _attrs, { inputs }) => {
    // ONNX orders only numbers: compare booleans as 0/1 integers.
    const asInt = inputs[0].dtype === "bool" && kernel !== "Equal" && kernel !== "NotEqual";
    const a = asInt ? g.op("Cast", [a0], { to: INT32 }) : a0;
    const b = asInt ? g.op("Cast", [b0], { to: INT32 }) : b0;
    const out = g.op(COMPARISON_OPS[kernel], [a, b]);
    return [kernel === "NotEqual" ? g.op("Not", [out]) : out];
  };
}

function clampBound(value: number, dtype: DType): number {
  if (dtype !== "i32") return value;
  return Math.max(-2147483648, Math.min(2147483647, value));
}

/** f32 -> i32: truncates toward zero, saturates at the i32 range, NaN gives 0 (the reference's rule). */
function floatToInt(g: GraphBuilder, x: string): string {
  const clipped = g.op("Clip", [x, g.f32(-2147483648), g.f32(2147483520)]);
  let y = g.op("Cast", [clipped], { to: INT32 });
  y = g.op("Where", [g.op("GreaterOrEqual", [x, g.f32(2147483648)]), g.i32(2147483647), y]);
  return g.op("Where", [g.op("IsNaN", [x]), g.i32(0), y]);
}

export const castLowering: Lowering<PrimitiveAttrs["Cast"]> = (g, [x], { dtype }, { inputs }) => {
  const from = inputs[0].dtype;
  if (from === dtype) return [g.op("Identity", [x])];
  if (!isComputeDType(from) || !isComputeDType(dtype)) {
    throw new NotExpressibleError(`Cast ${from} -> ${dtype}: storage dtypes cross ORT's JavaScript binding as raw bits and ONNX has no bitcast, so this cast runs on the host`);
  }
  if (from === "f32" && dtype === "i32") return [floatToInt(g, x)];
  return [g.op("Cast", [x], { to: ONNX_TYPE[dtype] })];
};

export const elementwiseLowerings = {
  ...Object.fromEntries(UNARY_KERNELS.map((k) => [k, ((g, [x], _a, { inputs }) => [UNARY_OPS[k](g, x, inputs[0].dtype)]) as Lowering<Record<string, never>>])),
  ...Object.fromEntries(ARITHMETIC_KERNELS.map((k) => [k, arithmetic(k)])),
  ...Object.fromEntries(COMPARISON_KERNELS.map((k) => [k, comparison(k)])),
  Clamp: ((g, [x], { min, max }, { inputs }) => {
    const dtype = inputs[0].dtype;
    const bound = (v: number) => (dtype === "i32" ? g.i32(clampBound(v, dtype)) : g.f32(v));
    return [g.op("Clip", [x, bound(min), bound(max)])];
  }) as Lowering<PrimitiveAttrs["Clamp"]>,
  // ORT's Where has no bool branches: (c and a) or (not c and b).
  Where: ((g, [c, a, b], _attrs, { inputs }) =>
    inputs[1].dtype === "bool" ? [g.op("Or", [g.op("And", [c, a]), g.op("And", [g.op("Not", [c]), b])])] : [g.op("Where", [c, a, b])]) as Lowering<Record<string, never>>,
  Cast: castLowering,
} as unknown as Record<UnaryKernel | BinaryKernel | "Clamp" | "Where" | "Cast", Lowering<never>>;

export { BOOL, FLOAT };
