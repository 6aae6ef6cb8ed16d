/** Gradients of reductions, softmax and log-softmax. */
import { registerGradient } from "../registry.ts";
import { engine } from "../../tensor/engine.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { cast, div, equal, exp, mul, sub } from "../../ops/elementwise.ts";
import { broadcastTo, reshape } from "../../ops/layout.ts";
import { sum } from "../../ops/reduce.ts";

type ReduceAttrs = { axes: number[]; keepDims: boolean };

/** The reduced gradient with its reduced axes restored as size 1, ready to broadcast against x. */
function keptDims(dy: Tensor, shape: readonly number[], axes: number[]): Tensor {
  return reshape(dy, shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

registerGradient<ReduceAttrs>("Sum", (dy, { inputs: [x], attrs: { axes } }) => [
  engine.tidy(() => broadcastTo(keptDims(dy, x.shape, axes), x.shape)),
], { inputs: [], outputs: [] });

// Max: the gradient is shared equally among the elements that attain the maximum.
registerGradient<ReduceAttrs>("Max", (dy, { inputs: [x], outputs: [y], attrs: { axes } }) => [
  engine.tidy(() => {
    const hits = cast(equal(x, keptDims(y, x.shape, axes)), "f32");
    const count = sum(hits, axes, { keepDims: true });
    return mul(div(hits, count), keptDims(dy, x.shape, axes));
  }),
], { inputs: [0], outputs: [0] });

// softmax: dx = y * (dy - sum(dy * y))
registerGradient("Softmax", (dy, { outputs: [y] }) => [
  engine.tidy(() => mul(y, sub(dy, sum(mul(dy, y), -1, { keepDims: true })))),
], { inputs: [], outputs: [0] });

// log-softmax: dx = dy - softmax(x) * sum(dy) = dy - exp(y) * sum(dy)
registerGradient("LogSoftmax", (dy, { outputs: [y] }) => [
  engine.tidy(() => sub(dy, mul(exp(y), sum(dy, -1, { keepDims: true })))),
], { inputs: [], outputs: [0] });
