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
  // tfjs's abs and neg go through float32 for int32 (|2^31 - 1| would come back as -2^31): 0 - x is exact.
  Abs: (tf, x) => (x.dtype === "int32" ? tf.where(tf.less(x, 0), tf.sub(tf.scalar(0, "int32"), x), x) : tf.abs(x)),
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

/** x truncated toward zero, in f32. */
function truncF32(tf: Tf, x: TfTensor): TfTensor {
  return tf.mul(tf.sign(x), tf.floor(tf.abs(x)));
}

/** trunc(x / y) of f32 tensors as int32, clipped into the i32 range (later steps wrap as needed). */
function quotientEstimate(tf: Tf, x: TfTensor, y: TfTensor): TfTensor {
  return tf.cast(tf.clipByValue(truncF32(tf, tf.div(x, y)), -2147483648, 2147483520), "int32");
}

/**
 * i32 division truncating toward zero, 0 for a zero divisor, wrapping like two's complement
 * (-2^31 / -1 = -2^31), exact for every int32 pair: tfjs divides integers through float32 (24-bit
 * mantissa), so a float estimate is refined with exact int32 remainders (int32 multiply and subtract
 * wrap modulo 2^32 on every tfjs backend): estimate, re-estimate from the remainder, then a last +-1.
 */
function divideInt32(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  const i32 = (v: number): TfTensor => tf.scalar(v, "int32");
  const zero = tf.equal(b, 0);
  const divisor = tf.where(zero, tf.onesLike(b), b);
  const divisorF = tf.cast(divisor, "float32");
  const q0 = quotientEstimate(tf, tf.cast(a, "float32"), divisorF);
  const r0 = tf.sub(a, tf.mul(q0, divisor));
  const q1 = tf.add(q0, quotientEstimate(tf, tf.cast(r0, "float32"), divisorF));
  const r = tf.sub(a, tf.mul(q1, divisor));
  // The remainder must have a's sign (or be 0) and be smaller than |b|; else q is off by one.
  const aNonNegative = tf.greaterEqual(a, 0);
  const bPositive = tf.greater(divisor, 0);
  const wrongSign = tf.logicalAnd(tf.notEqual(r, 0), tf.notEqual(tf.less(r, 0), tf.less(a, 0)));
  // |r| >= |b| (with a's sign), written with logical ops: tfjs-wasm's select corrupts memory on bool branches.
  const and = (...t: TfTensor[]): TfTensor => t.reduce((p, q) => tf.logicalAnd(p, q));
  const bNegative = tf.logicalNot(bPositive);
  const aNegative = tf.logicalNot(aNonNegative);
  const atLeastB = tf.logicalOr(
    tf.logicalOr(and(aNonNegative, bPositive, tf.greaterEqual(r, divisor)), and(aNonNegative, bNegative, tf.notEqual(divisor, i32(-2147483648)), tf.greaterEqual(r, tf.sub(i32(0), divisor)))),
    tf.logicalOr(and(aNegative, bPositive, tf.lessEqual(r, tf.sub(i32(0), divisor))), and(aNegative, bNegative, tf.lessEqual(r, divisor))),
  );
  const tooBig = tf.logicalAnd(tf.logicalAnd(tf.notEqual(r, 0), tf.logicalNot(wrongSign)), atLeastB);
  const step = tf.where(bPositive, tf.onesLike(a), tf.fill(a.shape, -1, "int32"));
  const towardA = tf.where(aNonNegative, step, tf.sub(i32(0), step));
  const fix = tf.where(wrongSign, tf.sub(i32(0), towardA), tf.where(tooBig, towardA, tf.zerosLike(a)));
  const q = tf.add(q1, fix);
  return tf.where(zero, tf.zerosLike(q), q);
}

/**
 * i32 power wrapping modulo 2^32 like the reference (Math.pow, then to int32), by square-and-multiply
 * over the exponent's bits with wrapping int32 multiplies; tfjs's wasm pow saturates instead.
 * Negative exponents give 1 / a^|b| truncated: 1 for a = 1, +-1 for a = -1, else 0.
 */
function powInt32(tf: Tf, a0: TfTensor, b0: TfTensor): TfTensor {
  const shape = broadcastShape(a0.shape, b0.shape);
  const a = tf.broadcastTo(a0, shape);
  const b = tf.broadcastTo(b0, shape);
  let result = tf.onesLike(a);
  let base = a;
  for (let bit = 0; bit < 31; bit++) {
    const set = tf.notEqual(tf.bitwiseAnd(b, tf.fill(shape, 2 ** bit, "int32")), 0);
    result = tf.where(set, tf.mul(result, base), result);
    base = tf.mul(base, base);
  }
  const odd = tf.notEqual(tf.bitwiseAnd(b, tf.onesLike(b)), 0);
  const minusOne = tf.where(odd, tf.fill(shape, -1, "int32"), tf.onesLike(a));
  const reciprocal = tf.where(tf.equal(a, 1), tf.onesLike(a), tf.where(tf.equal(a, -1), minusOne, tf.zerosLike(a)));
  return tf.where(tf.less(b, 0), reciprocal, result);
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    return da === 1 ? db : da;
  });
}

function divide(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  return a.dtype === "int32" ? divideInt32(tf, a, b) : tf.div(a, b);
}

const ARITHMETIC: Record<ArithmeticKernel, Binary> = {
  Add: (tf, a, b) => tf.add(a, b),
  Sub: (tf, a, b) => tf.sub(a, b),
  Mul: (tf, a, b) => tf.mul(a, b),
  Div: divide,
  Pow: (tf, a, b) => (a.dtype === "int32" ? powInt32(tf, a, b) : tf.pow(a, b)),
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
