/** Turning numbers into tensors next to the tensor they combine with. */
import { engine } from "../tensor/engine.ts";
import { Tensor } from "../tensor/tensor.ts";

export type TensorLike = Tensor | number;

/** `value` as a tensor on the backend and dtype of `like` (numbers become scalars). */
export function asTensor(value: TensorLike, like: Tensor): Tensor {
  if (value instanceof Tensor) return value;
  return engine.makeTensor([value], [], like.dtype === "bool" ? "f32" : like.dtype, like.backend);
}

/** Both operands as tensors; a number takes the dtype and backend of the other operand. */
export function asPair(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (a instanceof Tensor) return [a, asTensor(b, a)];
  if (b instanceof Tensor) return [asTensor(a, b), b];
  const x = engine.makeTensor([a], [], "f32");
  return [x, engine.makeTensor([b], [], "f32")];
}
