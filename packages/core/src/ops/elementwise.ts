/** Elementwise ops: unary math, broadcasting arithmetic and comparisons, clamp, where, cast. */
import type { BinaryKernel, UnaryKernel } from "../backend/kernels.ts";
import type { DType } from "../tensor/dtype.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { TensorLike } from "./convert.ts";
import { asPair, asTensor } from "./convert.ts";

function unary(kernel: UnaryKernel) {
  return (x: Tensor): Tensor => engine.runKernel(kernel, [x], {})[0];
}

function binary(kernel: BinaryKernel) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    if (typeof a !== "number" && typeof b !== "number") return engine.runKernel(kernel, [a, b], {})[0];
    return engine.tidy(() => engine.runKernel(kernel, asPair(a, b), {})[0]);
  };
}

export const neg = unary("Neg");
export const exp = unary("Exp");
export const log = unary("Log");
export const sqrt = unary("Sqrt");
export const rsqrt = unary("Rsqrt");
export const tanh = unary("Tanh");
export const sigmoid = unary("Sigmoid");
export const silu = unary("Silu");
export const relu = unary("Relu");
export const abs = unary("Abs");
export const sin = unary("Sin");
export const cos = unary("Cos");

export const add = binary("Add");
export const sub = binary("Sub");
export const mul = binary("Mul");
export const div = binary("Div");
export const pow = binary("Pow");
export const maximum = binary("Maximum");
export const minimum = binary("Minimum");
export const equal = binary("Equal");
export const notEqual = binary("NotEqual");
export const less = binary("Less");
export const lessEqual = binary("LessEqual");
export const greater = binary("Greater");
export const greaterEqual = binary("GreaterEqual");

export function square(x: Tensor): Tensor {
  return engine.runKernel("Mul", [x, x], {})[0];
}

export function clamp(x: Tensor, min: number, max: number): Tensor {
  return engine.runKernel("Clamp", [x], { min, max })[0];
}

/** cond ? a : b elementwise (all broadcast). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  return engine.tidy(() => {
    const [x, y] = asPair(a, b);
    return engine.runKernel("Where", [cond, x, y], {})[0];
  });
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return engine.view(x, x.shape, "Identity");
  return engine.runKernel("Cast", [x], { dtype })[0];
}

/** A view of `x` through which no gradient flows. */
export function stopGradient(x: Tensor): Tensor {
  return engine.noGrad(() => engine.view(x, x.shape, "Identity"));
}

export { asTensor };
