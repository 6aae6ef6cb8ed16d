/**
 * Indexing kernels on tfjs: gather, scatter-add, take / put along an axis, one-hot. Scatters are
 * tf.scatterND, which adds the updates of repeated indices. With `checkIndices`, indices are read
 * back and an out-of-range one fails with the reference backend's ShapeError instead of tfjs's
 * undefined behaviour (the wasm kernels do not check).
 */
import { ShapeError } from "@r1ts/core";
import type { Tf, TfTensor } from "../tf.ts";
import { int } from "./kernel.ts";
import type { TfKernel } from "./kernel.ts";

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

function checkRange(kernel: string, indices: TfTensor, size: number): void {
  const values = indices.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v >= size) throw new ShapeError(`${kernel}: index ${v} is out of range [0, ${size})`);
  }
}

/** [outer, n, inner] element counts of a shape around `axis` (n spans `span` axes). */
function around(shape: readonly number[], axis: number, span = 1): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis, axis + span)), sizeOf(shape.slice(axis + span))];
}

export const gatherKernel: TfKernel<{ axis: number }> = ({ tf, x: [x, indices], attrs: { axis }, outputs: [out], checkIndices }) => {
  if (checkIndices) checkRange("Gather", indices, x.shape[axis]);
  if (sizeOf(out.shape) === 0) return tf.zeros(out.shape, x.dtype);
  return tf.reshape(tf.gather(x, tf.reshape(indices, [-1]), axis), out.shape);
};

export const scatterAddKernel: TfKernel<{ axis: number; size: number }> = ({ tf, x: [updates, indices], attrs: { axis, size }, outputs: [out], checkIndices }) => {
  if (checkIndices) checkRange("ScatterAdd", indices, size);
  const [outer, count, inner] = around(updates.shape, axis, indices.rank);
  if (sizeOf(out.shape) === 0 || outer * count * inner === 0) return tf.zeros(out.shape, updates.dtype);
  // out[o, indices[j], i] += updates[o, j, i]: scatter rows of `inner` values at (o, indices[j]).
  const o = tf.broadcastTo(tf.reshape(tf.range(0, outer, 1, "int32"), [outer, 1]), [outer, count]);
  const j = tf.broadcastTo(tf.reshape(indices, [1, count]), [outer, count]);
  const at = tf.reshape(tf.stack([o, j], 2), [outer * count, 2]);
  const rows = tf.reshape(updates, [outer * count, inner]);
  return tf.reshape(tf.scatterND(at, rows, [outer, size, inner]), out.shape);
};

/** Flat offsets (o * n + index) * inner + i of every element of `indices` into a [outer, n, inner] tensor. */
function flatOffsets(tf: Tf, indices: TfTensor, axis: number, n: number): TfTensor {
  const [outer, m, inner] = around(indices.shape, axis);
  const base = tf.add(tf.reshape(tf.mul(tf.range(0, outer, 1, "int32"), int(tf, n * inner)), [outer, 1, 1]), tf.reshape(tf.range(0, inner, 1, "int32"), [1, 1, inner]));
  return tf.add(base, tf.mul(tf.reshape(indices, [outer, m, inner]), int(tf, inner)));
}

export const takeAlongAxisKernel: TfKernel<{ axis: number }> = ({ tf, x: [x, indices], attrs: { axis }, outputs: [out], checkIndices }) => {
  const n = x.shape[axis];
  if (checkIndices) checkRange("TakeAlongAxis", indices, n);
  if (sizeOf(out.shape) === 0) return tf.zeros(out.shape, x.dtype);
  return tf.reshape(tf.gather(tf.reshape(x, [-1]), tf.reshape(flatOffsets(tf, indices, axis, n), [-1])), out.shape);
};

export const putAlongAxisAddKernel: TfKernel<{ axis: number; size: number }> = ({ tf, x: [updates, indices], attrs: { axis, size }, outputs: [out], checkIndices }) => {
  if (checkIndices) checkRange("PutAlongAxisAdd", indices, size);
  if (sizeOf(out.shape) === 0 || updates.size === 0) return tf.zeros(out.shape, updates.dtype);
  const at = tf.reshape(flatOffsets(tf, indices, axis, size), [-1, 1]);
  return tf.reshape(tf.scatterND(at, tf.reshape(updates, [-1]), [sizeOf(out.shape)]), out.shape);
};

export const oneHotKernel: TfKernel<{ depth: number }> = ({ tf, x: [indices], attrs: { depth }, outputs: [out] }) => {
  if (sizeOf(out.shape) === 0) return tf.zeros(out.shape, "float32");
  // Out-of-range indices (negative or >= depth) give an all-zero row.
  const inRange = tf.logicalAnd(tf.greaterEqual(indices, 0), tf.less(indices, depth));
  const safe = tf.where(inRange, indices, tf.zerosLike(indices));
  // int32 then cast: tfjs's wasm one-hot writes int32 bits whatever dtype it is asked for.
  const hot = tf.cast(tf.oneHot(tf.reshape(safe, [-1]), depth, 1, 0, "int32"), "float32");
  return tf.reshape(tf.mul(hot, tf.cast(tf.reshape(inRange, [-1, 1]), "float32")), out.shape);
};
