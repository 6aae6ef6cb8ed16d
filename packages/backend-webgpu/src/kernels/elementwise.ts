/**
 * Elementwise kernels: unary math, broadcasting arithmetic and comparisons, clamp, where.
 * One thread per output element. Each operand is addressed as the same shape (flat index), a single
 * element, or through broadcast strides; the choice is part of the shader, the shapes are parameters.
 */
import type { ArithmeticKernel, ComparisonKernel, KernelImpl, TensorInfo, UnaryKernel } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import type { GpuData } from "../gpu/gpu-tensor.ts";
import { ParamLayout } from "../gpu/params.ts";
import { groupsFor, program } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { wgslType } from "../gpu/storage.ts";
import { FLOAT_HELPERS, broadcastStrides, sameShape, sizeOfShape, stridedOffset } from "../shaders/common.ts";
import { packedWhere } from "./gather.ts";

const MATH_HELPERS = `${FLOAT_HELPERS}
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// x^y; a negative base with an integer exponent keeps its sign (pow(-2, 3) = -8), as Math.pow does.
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return NAN(); }
  if (a < 0.0) {
    if (b != floor(b)) { return NAN(); }
    let m = pow(-a, b);
    if (fract(b * 0.5) != 0.0) { return -m; }
    return m;
  }
  if (a == 0.0) {
    if (b > 0.0) { return 0.0; }
    return INF();
  }
  return pow(a, b);
}
// Integer power with wrapping multiplication (exact modulo 2^32); negative exponents truncate toward 0.
fn pow_i(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(-1, 1, (b & 1) == 0); }
    return 0;
  }
  var result = 1;
  var base = a;
  var e = u32(b);
  loop {
    if (e == 0u) { break; }
    if ((e & 1u) == 1u) { result = result * base; }
    base = base * base;
    e = e >> 1u;
  }
  return result;
}
`;

const UNARY_F32: Record<UnaryKernel, string> = {
  Neg: "-x",
  Exp: "exp(x)",
  Log: "log(x)",
  Sqrt: "sqrt(x)",
  Rsqrt: "inverseSqrt(x)",
  // tanh saturates to +-1 in f32 beyond |x| = 15; clamping keeps exp-based implementations finite.
  Tanh: "tanh(clamp(x, -15.0, 15.0))",
  Sigmoid: "sigmoid_f(x)",
  Silu: "x * sigmoid_f(x)",
  Relu: "select(0.0, x, x > 0.0)",
  Abs: "abs(x)",
  Sin: "sin(x)",
  Cos: "cos(x)",
};

const UNARY_I32: Partial<Record<UnaryKernel, string>> = {
  Neg: "-x",
  Abs: "select(-x, x, x >= 0)",
  Relu: "max(x, 0)",
};

const ARITHMETIC_F32: Record<ArithmeticKernel, string> = {
  Add: "a + b",
  Sub: "a - b",
  Mul: "a * b",
  Div: "a / b",
  Pow: "pow_f(a, b)",
  Maximum: "select(b, a, a >= b || is_nan(a))",
  Minimum: "select(b, a, a <= b || is_nan(a))",
};

const ARITHMETIC_I32: Record<ArithmeticKernel, string> = {
  Add: "a + b",
  Sub: "a - b",
  Mul: "a * b",
  Div: "select(0, a / b, b != 0)",
  Pow: "pow_i(a, b)",
  Maximum: "max(a, b)",
  Minimum: "min(a, b)",
};

const COMPARISON: Record<ComparisonKernel, string> = {
  Equal: "a == b",
  NotEqual: "a != b",
  Less: "a < b",
  LessEqual: "a <= b",
  Greater: "a > b",
  GreaterEqual: "a >= b",
};

type Mode = "same" | "scalar" | "bcast";

function modeOf(inShape: readonly number[], outShape: readonly number[]): Mode {
  if (sameShape(inShape, outShape)) return "same";
  if (sizeOfShape(inShape) === 1) return "scalar";
  return "bcast";
}

/** WGSL expression of the index into operand `name` for output element `gid`. */
function indexExpr(name: string, mode: Mode): string {
  return mode === "same" ? "gid" : mode === "scalar" ? "0u" : `off_${name}(gid)`;
}

interface Operand {
  name: string;
  type: string;
  mode: Mode;
}

/** A program computing `out[gid] = expr` over operands read as `let <name> = ...`. */
function mapProgram(label: string, operands: Operand[], outType: string, expr: string, rank: number, extraParams: (p: ParamLayout) => void = () => {}) {
  const params = new ParamLayout().u32("total").u32s("shape", rank);
  for (const o of operands) if (o.mode === "bcast") params.u32s(`st_${o.name}`, rank);
  extraParams(params);
  const helpers = [MATH_HELPERS, ...operands.filter((o) => o.mode === "bcast").map((o) => stridedOffset(`off_${o.name}`, rank, "shape", `st_${o.name}`))].join("\n");
  const loads = operands.map((o) => `  let ${o.name} = in_${o.name}[${indexExpr(o.name, o.mode)}];`).join("\n");
  return program({
    label,
    bindings: [...operands.map((o) => ({ name: `in_${o.name}`, type: o.type, access: "read" as const })), { name: "out", type: outType, access: "read_write" }],
    params,
    helpers,
    body: `  if (gid >= p_total()) { return; }\n${loads}\n  out[gid] = ${expr};`,
  });
}

function runMap(rt: Runtime, key: string, make: () => ReturnType<typeof mapProgram>, inputs: readonly TensorInfo[], out: GpuData, outShape: readonly number[], extra: Record<string, number> = {}): void {
  const p = rt.program(key, make);
  const values: Record<string, number | number[]> = { total: out.size, shape: [...outShape], ...extra };
  const names = ["a", "b", "c"];
  inputs.forEach((t, i) => {
    if (modeOf(t.shape, outShape) === "bcast") values[`st_${names[i]}`] = broadcastStrides(t.shape, outShape);
  });
  rt.run(p, [...inputs.map((t) => gpuDataOf(t)), out], values, groupsFor(out.size, p.workgroupSize));
}

export function unaryKernel(rt: Runtime, kernel: UnaryKernel): KernelImpl<Record<string, never>> {
  return ([x], _attrs, [spec]) => {
    const out = rt.alloc(spec.dtype, x.shape.reduce((p, q) => p * q, 1));
    const isInt = x.dtype === "i32";
    const expr = isInt ? UNARY_I32[kernel]! : UNARY_F32[kernel];
    const type = wgslType(x.dtype);
    const key = `unary:${kernel}:${type}`;
    runMap(rt, key, () => mapProgram(key, [{ name: "x", type, mode: "same" }], type, expr, 0), [x], out, []);
    return [out];
  };
}

export function binaryKernel(rt: Runtime, kernel: ArithmeticKernel | ComparisonKernel): KernelImpl<Record<string, never>> {
  const comparison = kernel in COMPARISON;
  return ([a, b], _attrs, [spec]) => {
    const out = rt.alloc(spec.dtype, sizeOfShape(spec.shape));
    const type = wgslType(a.dtype);
    const ma = modeOf(a.shape, spec.shape);
    const mb = modeOf(b.shape, spec.shape);
    const rank = spec.shape.length;
    let expr: string;
    if (comparison) expr = `select(0u, 1u, ${COMPARISON[kernel as ComparisonKernel]})`;
    else expr = (type === "f32" ? ARITHMETIC_F32 : ARITHMETIC_I32)[kernel as ArithmeticKernel];
    const key = `binary:${kernel}:${type}:${ma}:${mb}:${rank}`;
    runMap(rt, key, () => mapProgram(key, [{ name: "a", type, mode: ma }, { name: "b", type, mode: mb }], comparison ? "u32" : type, expr, rank), [a, b], out, spec.shape);
    return [out];
  };
}

export function clampKernel(rt: Runtime): KernelImpl<{ min: number; max: number }> {
  return ([x], { min, max }, [spec]) => {
    const out = rt.alloc(spec.dtype, sizeOfShape(spec.shape));
    const type = wgslType(x.dtype);
    const key = `clamp:${type}`;
    const expr = type === "f32" ? "select(select(x, p_hi(), x > p_hi()), p_lo(), x < p_lo())" : "select(select(x, p_hiI(), x > p_hiI()), p_loI(), x < p_loI())";
    runMap(
      rt,
      key,
      () => mapProgram(key, [{ name: "x", type, mode: "same" }], type, expr, 0, (p) => p.f32("lo").f32("hi").i32("loI").i32("hiI")),
      [x],
      out,
      [],
      { lo: min, hi: max, loI: clampI32(Math.ceil(min)), hiI: clampI32(Math.floor(max)) },
    );
    return [out];
  };
}

function clampI32(v: number): number {
  return Math.max(-2147483648, Math.min(2147483647, v));
}

export function whereKernel(rt: Runtime): KernelImpl<Record<string, never>> {
  return ([c, a, b], _attrs, [spec]) => {
    if (a.dtype !== "f32" && a.dtype !== "i32" && a.dtype !== "bool") return [packedWhere(rt, c, a, b, spec)];
    const out = rt.alloc(spec.dtype, sizeOfShape(spec.shape));
    const type = wgslType(a.dtype);
    const modes = [c, a, b].map((t) => modeOf(t.shape, spec.shape));
    const rank = spec.shape.length;
    const key = `where:${type}:${modes.join(":")}:${rank}`;
    // Operands are named a (condition), b (true branch), c (false branch) in the shader.
    runMap(
      rt,
      key,
      () => mapProgram(key, [{ name: "a", type: "u32", mode: modes[0] }, { name: "b", type, mode: modes[1] }, { name: "c", type, mode: modes[2] }], type, "select(c, b, a != 0u)", rank),
      [c, a, b],
      out,
      spec.shape,
    );
    return [out];
  };
}
