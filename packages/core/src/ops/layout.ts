/** Layout ops: reshape, transpose, slice, pad, concat, split, squeeze, expand, broadcast. */
import { ShapeError } from "../errors.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape, normalizeAxis, shapesEqual, sizeOf } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { zeros } from "./creation.ts";

/** A view with a new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const inferred = [...shape];
  const unknown = inferred.indexOf(-1);
  if (unknown >= 0) {
    const known = sizeOf(inferred.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot view ${formatShape(x.shape)} as ${formatShape(shape)}`);
    inferred[unknown] = x.size / known;
  }
  if (shapesEqual(inferred, x.shape)) return engine.view(x, inferred, "Identity");
  return engine.view(x, inferred);
}

export function flatten(x: Tensor): Tensor {
  return reshape(x, [x.size]);
}

/** Permutes axes; the default reverses them. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normalizeAxis(a, x.rank, "transpose")) : Array.from({ length: x.rank }, (_, i) => x.rank - 1 - i);
  return engine.runKernel("Transpose", [x], { perm: p })[0];
}

/** Swaps two axes. */
export function swapAxes(x: Tensor, a: number, b: number): Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  const i = normalizeAxis(a, x.rank, "swapAxes");
  const j = normalizeAxis(b, x.rank, "swapAxes");
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return transpose(x, perm);
}

/** x[begin : begin + size]; a size of -1 means "to the end". Short begin/size arrays cover leading axes. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  const b = x.shape.map((_, i) => begin[i] ?? 0);
  const s = x.shape.map((d, i) => {
    const want = size?.[i] ?? -1;
    return want === -1 ? d - b[i] : want;
  });
  return engine.runKernel("Slice", [x], { begin: b, size: s })[0];
}

/** Pads each axis with [before, after] copies of `value`. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  return engine.runKernel("Pad", [x], { paddings: paddings.map(([p, q]) => [p, q] as [number, number]), value })[0];
}

export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError("concat: needs at least one tensor");
  if (xs.length === 1) return engine.view(xs[0], xs[0].shape, "Identity");
  return engine.runKernel("Concat", xs, { axis: normalizeAxis(axis, xs[0].rank, "concat") })[0];
}

/** Splits along an axis into equal parts (a number) or parts of the given sizes. */
export function split(x: Tensor, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.rank, "split");
  const d = x.shape[a];
  let sizes: number[];
  if (typeof sizesOrCount === "number") {
    if (d % sizesOrCount !== 0) throw new ShapeError(`split: axis ${a} of ${formatShape(x.shape)} does not divide into ${sizesOrCount} parts`);
    sizes = new Array<number>(sizesOrCount).fill(d / sizesOrCount);
  } else {
    sizes = [...sizesOrCount];
    if (sizes.reduce((p, q) => p + q, 0) !== d) throw new ShapeError(`split: sizes ${JSON.stringify(sizes)} do not add up to ${d} (axis ${a} of ${formatShape(x.shape)})`);
  }
  let at = 0;
  return sizes.map((n) => {
    const begin = x.shape.map((_, i) => (i === a ? at : 0));
    const size = x.shape.map((dim, i) => (i === a ? n : dim));
    at += n;
    return engine.runKernel("Slice", [x], { begin, size })[0];
  });
}

export function expandDims(x: Tensor, axis = 0): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Removes the given size-1 axes (all of them by default). */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const list = axes?.map((a) => normalizeAxis(a, x.rank, "squeeze"));
  for (const a of list ?? []) if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${formatShape(x.shape)} is not 1`);
  return reshape(x, x.shape.filter((d, i) => (list ? !list.includes(i) : d !== 1)));
}

/** Broadcasts `x` to `shape` (materialised; the gradient sums back). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(x.shape, shape)) return engine.view(x, shape, "Identity");
  return engine.tidy(() => engine.runKernel("Add", [x, zeros(shape, x.dtype, x.backend)], {})[0]);
}
