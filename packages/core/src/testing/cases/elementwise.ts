/** Cases of the elementwise kernels: unary math, broadcasting arithmetic and comparisons, clamp, where. */
import type { ArithmeticKernel, ComparisonKernel, UnaryKernel } from "../../backend/kernels.ts";
import { kernelCase } from "./case.ts";
import type { AnyKernelCase, InputSpec } from "./case.ts";
import { awayFrom, awayFromZero, bool, bools, distinct, f32, i32, ints, randn, uniform } from "./inputs.ts";

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Golden values of each unary kernel, from the formula, on inputs that include its edge cases. */
const UNARY_GOLDEN: Record<UnaryKernel, { x: number[]; f: (x: number) => number }> = {
  Neg: { x: [-2, -0.5, 0, 1.5, 1e30], f: (x) => -x },
  // exp(-1000) underflows to 0 and exp(1000) overflows to inf in f32; exp(80) is still finite.
  Exp: { x: [-1000, -50, -1, 0, 1, 10, 80, 1000], f: Math.exp },
  // log(0) = -inf (masks are built this way); 1e-30 and 1e30 stay within f32's normal range.
  Log: { x: [0, 1e-30, 0.5, 1, Math.E, 1e30], f: Math.log },
  Sqrt: { x: [0, 0.25, 1, 2, 1e6], f: Math.sqrt },
  Rsqrt: { x: [1e-6, 0.25, 1, 4, 1e6], f: (x) => 1 / Math.sqrt(x) },
  // tanh, sigmoid and silu saturate without NaN at +-1000.
  Tanh: { x: [-1000, -20, -1, 0, 0.5, 20, 1000], f: Math.tanh },
  Sigmoid: { x: [-1000, -20, -1, 0, 0.5, 20, 1000], f: sigmoid },
  Silu: { x: [-1000, -20, -1, 0, 0.5, 20, 1000], f: (x) => x * sigmoid(x) },
  Relu: { x: [-3, -0.5, 0, 0.5, 3], f: (x) => Math.max(x, 0) },
  Abs: { x: [-3, -0.5, 0, 0.5, 3], f: Math.abs },
  Sin: { x: [0, Math.PI / 6, Math.PI / 2, -Math.PI / 2, Math.PI, -3], f: Math.sin },
  Cos: { x: [0, Math.PI / 3, Math.PI / 2, -Math.PI / 2, Math.PI, -3], f: Math.cos },
};

/** Random inputs inside each unary kernel's smooth domain (for finite differences). */
const UNARY_RANDOM: Record<UnaryKernel, InputSpec> = {
  Neg: randn([2, 3]),
  Exp: uniform([2, 3], -2, 2),
  Log: uniform([2, 3], 0.5, 3),
  Sqrt: uniform([2, 3], 0.5, 3),
  Rsqrt: uniform([2, 3], 0.5, 3),
  Tanh: uniform([2, 3], -2, 2),
  Sigmoid: uniform([2, 3], -3, 3),
  Silu: uniform([2, 3], -3, 3),
  Relu: awayFromZero([2, 3]),
  Abs: awayFromZero([2, 3]),
  Sin: uniform([2, 3], -3, 3),
  Cos: uniform([2, 3], -3, 3),
};

const unaryCases: AnyKernelCase[] = (Object.keys(UNARY_GOLDEN) as UnaryKernel[]).flatMap((kernel) => {
  const { x, f } = UNARY_GOLDEN[kernel];
  return [
    kernelCase({ name: `${kernel}: golden`, kernel, attrs: {}, inputs: [f32([x.length], x)], expected: [{ values: x.map(f) }], gradient: false }),
    kernelCase({ name: `${kernel}: random [2,3]`, kernel, attrs: {}, inputs: [UNARY_RANDOM[kernel]] }),
  ];
});

const integerUnaryCases: AnyKernelCase[] = (["Neg", "Abs", "Relu"] as const).map((kernel) => {
  const x = [-7, -1, 0, 1, 7, 2147483647];
  const f = { Neg: (v: number) => -v, Abs: Math.abs, Relu: (v: number) => Math.max(v, 0) }[kernel];
  return kernelCase({ name: `${kernel}: i32`, kernel, attrs: {}, inputs: [i32([6], x)], expected: [{ dtype: "i32", values: x.map(f) }] });
});

const ARITHMETIC: Record<ArithmeticKernel, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: Math.pow,
  Maximum: Math.max,
  Minimum: Math.min,
};

/** Operands inside each kernel's smooth domain: positive bases for pow, divisors and ties kept away. */
function arithmeticOperands(kernel: ArithmeticKernel, aShape: number[], bShape: number[]): [InputSpec, InputSpec] {
  switch (kernel) {
    case "Div":
      return [randn(aShape), awayFromZero(bShape, 0.5, 2)];
    case "Pow":
      return [uniform(aShape, 0.5, 2), uniform(bShape, -1.5, 1.5)];
    case "Maximum":
    case "Minimum":
      // Grids offset by half a step: |a - b| >= 0.125 everywhere, so no tie is near.
      return [distinct(aShape, 0.25, 0), distinct(bShape, 0.25, 0.125)];
    default:
      return [randn(aShape), randn(bShape)];
  }
}

/** Broadcasting patterns: same shape, a scalar, missing leading dims, and size-1 dims on both sides. */
const BROADCASTS: { label: string; a: number[]; b: number[] }[] = [
  { label: "same shape [2,3]", a: [2, 3], b: [2, 3] },
  { label: "scalar [] with [2,3]", a: [], b: [2, 3] },
  { label: "[2,3,4] with leading-dims [4]", a: [2, 3, 4], b: [4] },
  { label: "size-1 dims on both sides [2,1,4] with [3,1]", a: [2, 1, 4], b: [3, 1] },
];

const arithmeticCases: AnyKernelCase[] = (Object.keys(ARITHMETIC) as ArithmeticKernel[]).flatMap((kernel) => {
  const a = [1.5, -2, 3, 0.5];
  const b = [2, 4, -0.25, 0.75];
  return [
    kernelCase({ name: `${kernel}: golden`, kernel, attrs: {}, inputs: [f32([4], a), f32([4], b)], expected: [{ values: a.map((v, i) => ARITHMETIC[kernel](v, b[i])) }], gradient: kernel === "Pow" ? false : undefined }),
    ...BROADCASTS.map(({ label, a: as, b: bs }) =>
      kernelCase({ name: `${kernel}: ${label}`, kernel, attrs: {}, inputs: arithmeticOperands(kernel, as, bs) }),
    ),
  ];
});

const arithmeticEdgeCases: AnyKernelCase[] = [
  // Golden broadcast with explicit values: a [2,1] + b [3] -> [2,3].
  kernelCase({ name: "Add: golden broadcast [2,1] + [3]", kernel: "Add", attrs: {}, inputs: [f32([2, 1], [10, 20]), f32([3], [1, 2, 3])], expected: [{ shape: [2, 3], values: [11, 12, 13, 21, 22, 23] }] }),
  kernelCase({ name: "Sub: golden scalar - [3]", kernel: "Sub", attrs: {}, inputs: [f32([], [1]), f32([3], [1, 2, 3])], expected: [{ shape: [3], values: [0, -1, -2] }] }),
  // NaN and inf propagate through arithmetic (a NaN loss must stay visible).
  kernelCase({ name: "Add: NaN and inf propagate", kernel: "Add", attrs: {}, inputs: [f32([4], [NaN, Infinity, Infinity, 1]), f32([4], [1, 1, -Infinity, NaN])], expected: [{ values: [NaN, Infinity, NaN, NaN] }], gradient: false }),
  kernelCase({ name: "Mul: large and tiny magnitudes", kernel: "Mul", attrs: {}, inputs: [f32([4], [1e20, 1e-19, -1e19, 3e38]), f32([4], [1e18, 1e-18, 1e19, 10])], expected: [{ values: [1e38, 1e-37, -1e38, Infinity] }], gradient: false }),
  // Integer arithmetic; division truncates toward zero (like C), not toward -inf.
  kernelCase({ name: "Div: i32 truncates toward zero", kernel: "Div", attrs: {}, inputs: [i32([6], [7, -7, 7, -7, 0, 9]), i32([6], [2, 2, -2, -2, 3, 3])], expected: [{ dtype: "i32", values: [3, -3, -3, 3, 0, 3] }] }),
  kernelCase({ name: "Add: i32 broadcast", kernel: "Add", attrs: {}, inputs: [i32([2, 1], [100, -200]), i32([3], [1, 2, 3])], expected: [{ dtype: "i32", values: [101, 102, 103, -199, -198, -197] }] }),
  kernelCase({ name: "Sub: i32", kernel: "Sub", attrs: {}, inputs: [i32([3], [5, -5, 0]), i32([3], [7, -7, -1])], expected: [{ dtype: "i32", values: [-2, 2, 1] }] }),
  kernelCase({ name: "Mul: i32", kernel: "Mul", attrs: {}, inputs: [i32([3], [5, -5, 46340]), i32([3], [-7, -7, 46340])], expected: [{ dtype: "i32", values: [-35, 35, 2147395600] }] }),
  kernelCase({ name: "Pow: i32", kernel: "Pow", attrs: {}, inputs: [i32([4], [2, -3, 5, 1]), i32([4], [10, 3, 0, 7])], expected: [{ dtype: "i32", values: [1024, -27, 1, 1] }] }),
  kernelCase({ name: "Maximum: i32 with ties", kernel: "Maximum", attrs: {}, inputs: [i32([4], [1, -5, 3, 3]), i32([4], [2, -6, 3, -3])], expected: [{ dtype: "i32", values: [2, -5, 3, 3] }] }),
  kernelCase({ name: "Minimum: i32 with ties", kernel: "Minimum", attrs: {}, inputs: [i32([4], [1, -5, 3, 3]), i32([4], [2, -6, 3, -3])], expected: [{ dtype: "i32", values: [1, -6, 3, -3] }] }),
  kernelCase({ name: "Div: i32 random broadcast", kernel: "Div", attrs: {}, inputs: [ints([2, 3], -50, 50), ints([3], 1, 7)] }),
  // A negative base with an integer exponent is defined: (-2)^3 = -8, (-2)^2 = 4 (x^2 of a negative x).
  kernelCase({ name: "Pow: negative base, integer exponent", kernel: "Pow", attrs: {}, inputs: [f32([5], [-2, -2, -3, -0.5, 4]), f32([5], [3, 2, -1, 2, 0.5])], expected: [{ values: [-8, 4, -1 / 3, 0.25, 2] }], gradient: false }),
  // Ties send the whole gradient to `a` (the value returned); no finite differences at a tie.
  kernelCase({ name: "Maximum: ties", kernel: "Maximum", attrs: {}, inputs: [f32([4], [1, 2, -3, 0.5]), f32([4], [1, 3, -3, 0.25])], expected: [{ values: [1, 3, -3, 0.5] }], gradient: { finiteDifference: false } }),
  kernelCase({ name: "Minimum: ties", kernel: "Minimum", attrs: {}, inputs: [f32([4], [1, 2, -3, 0.5]), f32([4], [1, 3, -3, 0.25])], expected: [{ values: [1, 2, -3, 0.25] }], gradient: { finiteDifference: false } }),
  // NaN propagates through maximum and minimum from either side.
  kernelCase({ name: "Maximum: NaN propagates", kernel: "Maximum", attrs: {}, inputs: [f32([3], [NaN, 1, -Infinity]), f32([3], [1, NaN, 2])], expected: [{ values: [NaN, NaN, 2] }], gradient: false }),
  kernelCase({ name: "Minimum: NaN propagates", kernel: "Minimum", attrs: {}, inputs: [f32([3], [NaN, 1, Infinity]), f32([3], [1, NaN, 2])], expected: [{ values: [NaN, NaN, 2] }], gradient: false }),
];

const COMPARISON: Record<ComparisonKernel, (a: number, b: number) => boolean> = {
  Equal: (a, b) => a === b,
  NotEqual: (a, b) => a !== b,
  Less: (a, b) => a < b,
  LessEqual: (a, b) => a <= b,
  Greater: (a, b) => a > b,
  GreaterEqual: (a, b) => a >= b,
};

const comparisonCases: AnyKernelCase[] = (Object.keys(COMPARISON) as ComparisonKernel[]).flatMap((kernel) => {
  const f = COMPARISON[kernel];
  // Includes ties, -0 vs 0 (equal), and infinities.
  const a = [1, 2, 3, 0, -0, -Infinity, 5];
  const b = [2, 2, 1, -0, 0, -Infinity, Infinity];
  const ai = [1, 2, 3, -4];
  const bi = [2, 2, 1, -4];
  const ab = [0, 0, 1, 1];
  const bb = [0, 1, 0, 1];
  const bit = (v: boolean): number => (v ? 1 : 0);
  return [
    kernelCase({ name: `${kernel}: f32 golden`, kernel, attrs: {}, inputs: [f32([7], a), f32([7], b)], expected: [{ dtype: "bool", values: a.map((v, i) => bit(f(v, b[i]))) }] }),
    kernelCase({ name: `${kernel}: i32 golden`, kernel, attrs: {}, inputs: [i32([4], ai), i32([4], bi)], expected: [{ dtype: "bool", values: ai.map((v, i) => bit(f(v, bi[i]))) }] }),
    kernelCase({ name: `${kernel}: bool golden`, kernel, attrs: {}, inputs: [bool([4], ab), bool([4], bb)], expected: [{ dtype: "bool", values: ab.map((v, i) => bit(f(v, bb[i]))) }] }),
    // Small integer ranges make ties common.
    kernelCase({ name: `${kernel}: i32 broadcast [2,1,3] with [4,1]`, kernel, attrs: {}, inputs: [ints([2, 1, 3], -2, 3), ints([4, 1], -2, 3)] }),
    kernelCase({ name: `${kernel}: f32 scalar with [2,3]`, kernel, attrs: {}, inputs: [f32([], [0.5]), distinct([2, 3], 0.25, 0)] }),
  ];
});

const clampCases: AnyKernelCase[] = [
  kernelCase({ name: "Clamp: golden", kernel: "Clamp", attrs: { min: -1, max: 1 }, inputs: [f32([7], [-3, -1, -0.5, 0, 0.5, 1, 3])], expected: [{ values: [-1, -1, -0.5, 0, 0.5, 1, 1] }], gradient: false }),
  kernelCase({ name: "Clamp: random away from the bounds", kernel: "Clamp", attrs: { min: -1, max: 1 }, inputs: [awayFrom([2, 4], [-1, 1], -2.5, 2.5)] }),
  kernelCase({ name: "Clamp: min = max", kernel: "Clamp", attrs: { min: 0.5, max: 0.5 }, inputs: [f32([3], [-1, 0.5, 2])], expected: [{ values: [0.5, 0.5, 0.5] }], gradient: false }),
  kernelCase({ name: "Clamp: i32", kernel: "Clamp", attrs: { min: -2, max: 3 }, inputs: [i32([5], [-10, -2, 0, 3, 10])], expected: [{ dtype: "i32", values: [-2, -2, 0, 3, 3] }] }),
];

const whereCases: AnyKernelCase[] = [
  kernelCase({ name: "Where: golden", kernel: "Where", attrs: {}, inputs: [bool([4], [1, 0, 0, 1]), f32([4], [1, 2, 3, 4]), f32([4], [-1, -2, -3, -4])], expected: [{ values: [1, -2, -3, 4] }] }),
  kernelCase({ name: "Where: random [2,3]", kernel: "Where", attrs: {}, inputs: [bools([2, 3]), randn([2, 3]), randn([2, 3])] }),
  kernelCase({ name: "Where: broadcast cond [3,1], a [1,4], b []", kernel: "Where", attrs: {}, inputs: [bool([3, 1], [1, 0, 1]), f32([1, 4], [1, 2, 3, 4]), f32([], [-9])], expected: [{ shape: [3, 4], values: [1, 2, 3, 4, -9, -9, -9, -9, 1, 2, 3, 4] }] }),
  kernelCase({ name: "Where: broadcast random cond [2,1,3]", kernel: "Where", attrs: {}, inputs: [bools([2, 1, 3]), randn([4, 1]), randn([2, 4, 3])] }),
  kernelCase({ name: "Where: i32 branches", kernel: "Where", attrs: {}, inputs: [bool([3], [0, 1, 0]), i32([3], [1, 2, 3]), i32([], [-1])], expected: [{ dtype: "i32", values: [-1, 2, -1] }] }),
  kernelCase({ name: "Where: bool branches", kernel: "Where", attrs: {}, inputs: [bool([3], [0, 1, 1]), bool([3], [1, 0, 1]), bool([3], [1, 1, 0])], expected: [{ dtype: "bool", values: [1, 0, 1] }] }),
];

export const elementwiseCases: AnyKernelCase[] = [
  ...unaryCases,
  ...integerUnaryCases,
  ...arithmeticCases,
  ...arithmeticEdgeCases,
  ...comparisonCases,
  ...clampCases,
  ...whereCases,
];
