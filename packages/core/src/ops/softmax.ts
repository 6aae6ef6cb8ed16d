/** Softmax and log-softmax along any axis (kernels work on the last axis; other axes go through a transpose). */
import { engine } from "../tensor/engine.ts";
import { normalizeAxis } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { transpose } from "./layout.ts";

function alongAxis(kernel: "Softmax" | "LogSoftmax", x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.rank, kernel);
  if (a === x.rank - 1) return engine.runKernel(kernel, [x], {})[0];
  return engine.tidy(() => {
    const perm = Array.from({ length: x.rank }, (_, i) => i);
    perm[a] = x.rank - 1;
    perm[x.rank - 1] = a;
    return transpose(engine.runKernel(kernel, [transpose(x, perm)], {})[0], perm);
  });
}

export function softmax(x: Tensor, axis = -1): Tensor {
  return alongAxis("Softmax", x, axis);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongAxis("LogSoftmax", x, axis);
}
