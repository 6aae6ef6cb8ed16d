/** Layout kernels on tfjs: transpose, slice, pad, concat (empty tensors handled before tfjs sees them). */
import type { TfKernel } from "./kernel.ts";

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

export const transposeKernel: TfKernel<{ perm: number[] }> = ({ tf, x: [x], attrs: { perm }, outputs: [out] }) =>
  sizeOf(out.shape) === 0 ? tf.zeros(out.shape, x.dtype) : tf.transpose(x, perm);

export const sliceKernel: TfKernel<{ begin: number[]; size: number[] }> = ({ tf, x: [x], attrs: { begin, size }, outputs: [out] }) =>
  sizeOf(out.shape) === 0 ? tf.zeros(out.shape, x.dtype) : tf.slice(x, begin, size);

export const padKernel: TfKernel<{ paddings: [number, number][]; value: number }> = ({ tf, x: [x], attrs: { paddings, value }, outputs: [out] }) => {
  // tfjs pads numbers; booleans go through int32. An empty input is all padding.
  if (x.dtype === "bool") {
    const padded = x.size === 0 ? tf.fill(out.shape, value ? 1 : 0, "int32") : tf.pad(tf.cast(x, "int32"), paddings, value ? 1 : 0);
    return tf.cast(padded, "bool");
  }
  if (x.size === 0) return tf.fill(out.shape, value, x.dtype);
  return tf.pad(x, paddings, value);
};

export const concatKernel: TfKernel<{ axis: number }> = ({ tf, x: parts, attrs: { axis }, outputs: [out] }) => {
  const nonEmpty = parts.filter((t) => t.size > 0);
  if (nonEmpty.length === 0) return tf.zeros(out.shape, parts[0].dtype);
  if (nonEmpty.length === 1) return tf.clone(nonEmpty[0]);
  return tf.concat(nonEmpty, axis);
};
