/** Reductions: sum, mean, max, min, argmax, logsumexp, and norms built from them. */
import { engine } from "../tensor/engine.ts";
import { normalizeAxes, normalizeAxis } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { div, exp, log, neg, sub } from "./elementwise.ts";
import { reshape } from "./layout.ts";

export interface ReduceOptions {
  keepDims?: boolean;
}

export function sum(x: Tensor, axes?: number | number[], { keepDims = false }: ReduceOptions = {}): Tensor {
  return engine.runKernel("Sum", [x], { axes: normalizeAxes(axes, x.rank, "sum"), keepDims })[0];
}

export function mean(x: Tensor, axes?: number | number[], options: ReduceOptions = {}): Tensor {
  const list = normalizeAxes(axes, x.rank, "mean");
  const count = list.reduce((n, a) => n * x.shape[a], 1);
  return engine.tidy(() => div(sum(x, list, options), count));
}

export function max(x: Tensor, axes?: number | number[], { keepDims = false }: ReduceOptions = {}): Tensor {
  return engine.runKernel("Max", [x], { axes: normalizeAxes(axes, x.rank, "max"), keepDims })[0];
}

export function min(x: Tensor, axes?: number | number[], options: ReduceOptions = {}): Tensor {
  return engine.tidy(() => neg(max(neg(x), axes, options)));
}

export function argmax(x: Tensor, axis = -1): Tensor {
  return engine.runKernel("ArgMax", [x], { axis: normalizeAxis(axis, x.rank, "argmax") })[0];
}

/** log(sum(exp(x))) over axes, stabilised by the (gradient-free) max. */
export function logSumExp(x: Tensor, axes?: number | number[], { keepDims = false }: ReduceOptions = {}): Tensor {
  return engine.tidy(() => {
    const list = normalizeAxes(axes, x.rank, "logSumExp");
    const m = engine.noGrad(() => max(x, list, { keepDims: true }));
    const out = log(sum(exp(sub(x, m)), list, { keepDims: true }));
    const withMax = engine.runKernel("Add", [out, m], {})[0];
    return keepDims ? withMax : reshape(withMax, x.shape.filter((_, i) => !list.includes(i)));
  });
}
