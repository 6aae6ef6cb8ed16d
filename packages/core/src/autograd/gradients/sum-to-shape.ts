/** Reduces a broadcast gradient back to the shape of the operand that was broadcast. */
import { engine } from "../../tensor/engine.ts";
import { shapesEqual } from "../../tensor/shape.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { reshape } from "../../ops/layout.ts";

export function sumToShape(dy: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(dy.shape, shape)) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  return engine.tidy(() => reshape(engine.runKernel("Sum", [dy], { axes, keepDims: false })[0], shape));
}
