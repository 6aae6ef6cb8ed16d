/** Matrix products. */
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { reshape } from "./layout.ts";

export interface MatMulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

/**
 * a [...batch, M, K] x b [...batch, K, N] -> [...batch, M, N], batch dims broadcast.
 * A 1-D operand is treated as a row (a) or column (b) vector and its axis dropped from the result.
 */
export function matmul(a: Tensor, b: Tensor, { transposeA = false, transposeB = false }: MatMulOptions = {}): Tensor {
  if (a.rank >= 2 && b.rank >= 2) return engine.runKernel("MatMul", [a, b], { transposeA, transposeB })[0];
  return engine.tidy(() => {
    const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
    const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
    const out = engine.runKernel("MatMul", [a2, b2], { transposeA: a.rank === 1 ? false : transposeA, transposeB: b.rank === 1 ? false : transposeB })[0];
    const shape = [...out.shape];
    if (b.rank === 1) shape.splice(shape.length - 1, 1);
    if (a.rank === 1) shape.splice(shape.length - (b.rank === 1 ? 1 : 2), 1);
    return reshape(out, shape);
  });
}

/** y = x W^T (+ b): the Linear layer's product with an HF-layout weight [out, in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return engine.tidy(() => {
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? x : reshape(x, [-1, x.shape[x.rank - 1]]);
    let y = engine.runKernel("MatMul", [x2, weight], { transposeA: false, transposeB: true })[0];
    if (bias) y = engine.runKernel("Add", [y, bias], {})[0];
    return x.rank === 2 ? y : reshape(y, [...lead, weight.shape[0]]);
  });
}
