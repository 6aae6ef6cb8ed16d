/** Gradients of elementwise kernels: d/dx of each unary function, broadcasting binary ops, clamp, where, cast. */
import { registerGradient } from "../registry.ts";
import type { GradientContext } from "../registry.ts";
import type { SavedTensors } from "../saved-tensors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { engine } from "../../tensor/engine.ts";
import { add, cast, cos, div, greater, greaterEqual, less, lessEqual, log, mul, neg, sin, sub, where } from "../../ops/elementwise.ts";

import { reshape } from "../../ops/layout.ts";
import { sumToShape } from "./sum-to-shape.ts";

type Ctx = GradientContext;
const mask = (b: Tensor): Tensor => cast(b, "f32");

/** What a gradient reads of its kernel's call (see saved-tensors.ts): nothing, the input(s), or the output. */
const NOTHING = { inputs: [], outputs: [] };
const INPUT = { inputs: [0], outputs: [] };
const OUTPUT = { inputs: [], outputs: [0] };
const INPUTS = { inputs: [0, 1], outputs: [] };

function unaryGradient(kernel: string, saves: SavedTensors, dfdx: (dy: Tensor, x: Tensor, y: Tensor) => Tensor): void {
  registerGradient(kernel as never, (dy: Tensor, { inputs: [x], outputs: [y] }: Ctx) => [engine.tidy(() => dfdx(dy, x, y))], saves);
}

unaryGradient("Neg", NOTHING, (dy) => neg(dy));
unaryGradient("Exp", OUTPUT, (dy, _x, y) => mul(dy, y));
unaryGradient("Log", INPUT, (dy, x) => div(dy, x));
unaryGradient("Sqrt", OUTPUT, (dy, _x, y) => div(dy, mul(y, 2)));
// d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3
unaryGradient("Rsqrt", OUTPUT, (dy, _x, y) => mul(dy, mul(mul(mul(y, y), y), -0.5)));
unaryGradient("Tanh", OUTPUT, (dy, _x, y) => mul(dy, sub(1, mul(y, y))));
unaryGradient("Sigmoid", OUTPUT, (dy, _x, y) => mul(dy, mul(y, sub(1, y))));
// silu(x) = x s(x): d/dx = s(x) (1 + x (1 - s(x)))
unaryGradient("Silu", INPUT, (dy, x) => {
  const s = engine.runKernel("Sigmoid", [x], {})[0];
  return mul(dy, mul(s, add(1, mul(x, sub(1, s)))));
});
unaryGradient("Relu", INPUT, (dy, x) => mul(dy, mask(greater(x, 0))));
unaryGradient("Abs", INPUT, (dy, x) => mul(dy, sub(mask(greater(x, 0)), mask(less(x, 0)))));
unaryGradient("Sin", INPUT, (dy, x) => mul(dy, cos(x)));
unaryGradient("Cos", INPUT, (dy, x) => neg(mul(dy, sin(x))));

function binaryGradient(kernel: string, saves: SavedTensors, da: (dy: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor, db: (dy: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor): void {
  registerGradient(kernel as never, (dy: Tensor, { inputs: [a, b], outputs: [y], needsGrad }: Ctx) => [
    needsGrad[0] ? engine.tidy(() => sumToShape(da(dy, a, b, y), a.shape)) : null,
    needsGrad[1] ? engine.tidy(() => sumToShape(db(dy, a, b, y), b.shape)) : null,
  ], saves);
}

binaryGradient("Add", NOTHING, (dy) => dy, (dy) => dy);
binaryGradient("Sub", NOTHING, (dy) => dy, (dy) => neg(dy));
binaryGradient("Mul", INPUTS, (dy, _a, b) => mul(dy, b), (dy, a) => mul(dy, a));
binaryGradient("Div", INPUTS, (dy, _a, b) => div(dy, b), (dy, a, b) => neg(div(mul(dy, a), mul(b, b))));
// d(a^b)/da = b a^(b-1); d(a^b)/db = a^b ln a (taken as 0 where a <= 0)
binaryGradient(
  "Pow",
  { inputs: [0, 1], outputs: [0] },
  (dy, a, b) => mul(dy, mul(b, engine.runKernel("Pow", [a, sub(b, 1)], {})[0])),
  (dy, a, _b, y) => {
    const positive = greater(a, 0);
    const safeLog = log(where(positive, a, 1));
    return mul(dy, where(positive, mul(y, safeLog), 0));
  },
);
// Ties send the gradient to a (the value the kernel returned).
binaryGradient("Maximum", INPUTS, (dy, a, b) => mul(dy, mask(greaterEqual(a, b))), (dy, a, b) => mul(dy, mask(less(a, b))));
binaryGradient("Minimum", INPUTS, (dy, a, b) => mul(dy, mask(lessEqual(a, b))), (dy, a, b) => mul(dy, mask(greater(a, b))));

registerGradient<{ min: number; max: number }>("Clamp", (dy, { inputs: [x], attrs: { min, max } }) => [
  engine.tidy(() => mul(dy, mul(mask(greaterEqual(x, min)), mask(lessEqual(x, max))))),
], INPUT);

registerGradient("Where", (dy, { inputs: [c, a, b], needsGrad }) => [
  null,
  needsGrad[1] ? engine.tidy(() => sumToShape(where(c, dy, 0), a.shape)) : null,
  needsGrad[2] ? engine.tidy(() => sumToShape(where(c, 0, dy), b.shape)) : null,
], INPUT);

// Only f32 -> f32 casts carry a gradient (other casts produce non-differentiable outputs).
registerGradient("Cast", (dy, { inputs: [x] }) => [x.dtype === "f32" ? engine.view(dy, dy.shape, "Identity") : null], NOTHING);
registerGradient("Identity", (dy) => [engine.view(dy, dy.shape, "Identity")], NOTHING);
registerGradient<{ inputShape: number[] }>("Reshape", (dy, { attrs }) => [reshape(dy, attrs.inputShape)], NOTHING);

