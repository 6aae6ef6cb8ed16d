/**
 * Elementwise kernels on tfjs: unary math, broadcasting arithmetic and comparisons, clamp, where.
 * Where tfjs's semantics differ from the contract they are adjusted here: NaN propagates through
 * maximum/minimum on every tfjs backend, i32 division truncates toward zero (tfjs floors) and gives
 * 0 for a zero divisor, comparisons of booleans compare 0/1.
 */
import type { ArithmeticKernel, ComparisonKernel, UnaryKernel } from "@r1ts/core";
import type { Tf, TfTensor } from "../tf.ts";
import type { TfKernel } from "./kernel.ts";

type Unary = (tf: Tf, x: TfTensor) => TfTensor;

const UNARY: Record<UnaryKernel, Unary> = {
  // tfjs's wasm neg goes through float32 for int32; 0 - x is exact.
  Neg: (tf, x) => (x.dtype === "int32" ? tf.sub(tf.scalar(0, "int32"), x) : tf.neg(x)),
  Exp: (tf, x) => tf.exp(x),
  Log: (tf, x) => tf.log(x),
  Sqrt: (tf, x) => tf.sqrt(x),
  Rsqrt: (tf, x) => tf.rsqrt(x),
  Tanh: (tf, x) => tf.tanh(x),
  Sigmoid: (tf, x) => tf.sigmoid(x),
  // silu(x) = x * sigmoid(x) (Hendrycks & Gimpel; Elfwing et al.)
  Silu: (tf, x) => tf.mul(x, tf.sigmoid(x)),
  Relu: (tf, x) => tf.relu(x),
  // tfjs's cpu abs goes through float32 for int32 (|2^31 - 1| would come back as -2^31).
  Abs: (tf, x) => (x.dtype === "int32" ? tf.where(tf.less(x, 0), tf.neg(x), x) : tf.abs(x)),
  Sin: (tf, x) => tf.sin(x),
  Cos: (tf, x) => tf.cos(x),
};

export function unaryKernel(kernel: UnaryKernel): TfKernel<Record<string, never>> {
  const f = UNARY[kernel];
  return ({ tf, x: [x] }) => f(tf, x);
}

type Binary = (tf: Tf, a: TfTensor, b: TfTensor) => TfTensor;

/** NaN wherever either operand is NaN, else `f` (tfjs's wasm maximum/minimum drop a NaN operand). */
function nanPropagating(f: Binary): Binary {
  return (tf, a, b) => {
    if (a.dtype !== "float32") return f(tf, a, b);
    const nan = tf.logicalOr(tf.isNaN(a), tf.isNaN(b));
    return tf.where(nan, tf.add(a, b), f(tf, a, b));
  };
}

/** i32 division truncating toward zero, 0 for a zero divisor (as the reference and WGSL do). */
function divide(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  if (a.dtype !== "int32") return tf.div(a, b);
  const zero = tf.equal(b, 0);
  const safe = tf.where(zero, tf.onesLike(b), b);
  const floor = tf.floorDiv(a, safe);
  // floor(a/b) + 1 where the exact quotient is negative and not an integer.
  const rem = tf.sub(a, tf.mul(floor, safe));
  const fix = tf.logicalAnd(tf.notEqual(rem, 0), tf.notEqual(tf.less(a, 0), tf.less(safe, 0)));
  const trunc = tf.add(floor, tf.cast(fix, "int32"));
  return tf.where(zero, tf.zerosLike(trunc), trunc);
}

const ARITHMETIC: Record<ArithmeticKernel, Binary> = {
  Add: (tf, a, b) => tf.add(a, b),
  Sub: (tf, a, b) => tf.sub(a, b),
  Mul: (tf, a, b) => tf.mul(a, b),
  Div: divide,
  Pow: (tf, a, b) => tf.pow(a, b),
  Maximum: nanPropagating((tf, a, b) => tf.maximum(a, b)),
  Minimum: nanPropagating((tf, a, b) => tf.minimum(a, b)),
};

const COMPARISON: Record<ComparisonKernel, Binary> = {
  Equal: (tf, a, b) => tf.equal(a, b),
  NotEqual: (tf, a, b) => tf.notEqual(a, b),
  Less: (tf, a, b) => tf.less(a, b),
  LessEqual: (tf, a, b) => tf.lessEqual(a, b),
  Greater: (tf, a, b) => tf.greater(a, b),
  GreaterEqual: (tf, a, b) => tf.greaterEqual(a, b),
};

export function arithmeticKernel(kernel: ArithmeticKernel): TfKernel<Record<string, never>> {
  const f = ARITHMETIC[kernel];
  return ({ tf, x: [a, b] }) => f(tf, a, b);
}

export function comparisonKernel(kernel: ComparisonKernel): TfKernel<Record<string, never>> {
  const f = COMPARISON[kernel];
  // Booleans compare as 0/1 integers (tfjs's kernels do not all take bool operands).
  return ({ tf, x: [a, b] }) => (a.dtype === "bool" ? f(tf, tf.cast(a, "int32"), tf.cast(b, "int32")) : f(tf, a, b));
}

export const clampKernel: TfKernel<{ min: number; max: number }> = ({ tf, x: [x], attrs: { min, max } }) =>
  // clipByValue keeps NaN as NaN; integers go through maximum/minimum (clipByValue is float-only on wasm).
  x.dtype === "float32" ? tf.clipByValue(x, min, max) : tf.minimum(tf.maximum(x, tf.scalar(min, "int32")), tf.scalar(max, "int32"));

export const whereKernel: TfKernel<Record<string, never>> = ({ tf, x: [c, a, b], outputs: [out] }) => {
  const shape = out.shape;
  const expand = (t: TfTensor): TfTensor => (sameShape(t.shape, shape) ? t : tf.broadcastTo(t, shape));
  // tfjs's wasm select mishandles bool branches: select between 0/1 integers instead.
  if (a.dtype === "bool") return tf.cast(tf.where(expand(c), expand(tf.cast(a, "int32")), expand(tf.cast(b, "int32"))), "bool");
  return tf.where(expand(c), expand(a), expand(b));
};

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
