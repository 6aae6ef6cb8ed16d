/** Reductions and scans on tfjs: sum, max, argmax, softmax, log-softmax, top-k, cumsum. */
import type { Tf, TfTensor } from "../tf.ts";
import { int } from "./kernel.ts";
import type { TfKernel } from "./kernel.ts";

const isEmpty = (shape: readonly number[]): boolean => shape.some((d) => d === 0);

export const sumKernel: TfKernel<{ axes: number[]; keepDims: boolean }> = ({ tf, x: [x], attrs: { axes, keepDims }, outputs: [out] }) => {
  if (axes.length === 0) return tf.clone(x);
  // An empty input sums to zeros (and an empty output needs no work).
  if (isEmpty(x.shape)) return tf.zeros(out.shape, x.dtype);
  return tf.sum(x, axes, keepDims);
};

export const maxKernel: TfKernel<{ axes: number[]; keepDims: boolean }> = ({ tf, x: [x], attrs: { axes, keepDims }, outputs: [out] }) => {
  if (axes.length === 0) return tf.clone(x);
  if (isEmpty(out.shape)) return tf.zeros(out.shape, x.dtype);
  const max = tf.max(x, axes, keepDims);
  if (x.dtype !== "float32") return max;
  // NaN anywhere in a reduced group makes its max NaN (tfjs's max skips NaN).
  return tf.where(tf.any(tf.isNaN(x), axes, keepDims), tf.fill(max.shape, NaN), max);
};

export const argMaxKernel: TfKernel<{ axis: number }> = ({ tf, x: [x], attrs: { axis }, outputs: [out] }) =>
  isEmpty(out.shape) ? tf.zeros(out.shape, "int32") : tf.argMax(x, axis);

/** x - max(x) along the last axis (the max-subtracted logits every softmax starts from). */
function shifted(x: TfTensor, tf: Tf): TfTensor {
  return tf.sub(x, tf.max(x, -1, true));
}

export const softmaxKernel: TfKernel<Record<string, never>> = ({ tf, x: [x] }) => {
  if (isEmpty(x.shape)) return tf.clone(x);
  const e = tf.exp(shifted(x, tf));
  return tf.div(e, tf.sum(e, -1, true));
};

// log softmax(x) = (x - max) - log(sum(exp(x - max)))
export const logSoftmaxKernel: TfKernel<Record<string, never>> = ({ tf, x: [x] }) => {
  if (isEmpty(x.shape)) return tf.clone(x);
  const s = shifted(x, tf);
  return tf.sub(s, tf.log(tf.sum(tf.exp(s), -1, true)));
};

export const topKKernel: TfKernel<{ k: number }> = ({ tf, x: [x], attrs: { k }, outputs: [values, indices] }) => {
  if (isEmpty(values.shape)) return [tf.zeros(values.shape, x.dtype), tf.zeros(indices.shape, "int32")];
  if (x.dtype !== "float32") {
    const { values: v, indices: i } = tf.topk(x, k, true);
    return [v, i];
  }
  // NaN ranks first (as torch.topk and the reference): sort on a key where NaN is +inf, then read
  // the values back at the chosen indices. (A NaN and a +inf in one row tie, lower index first.)
  const key = tf.where(tf.isNaN(x), tf.fill(x.shape, Infinity), x);
  const { indices: i } = tf.topk(key, k, true);
  const rows = x.size / x.shape[x.shape.length - 1];
  const n = x.shape[x.shape.length - 1];
  const flat = tf.add(tf.reshape(tf.mul(tf.range(0, rows, 1, "int32"), int(tf, n)), [rows, 1]), tf.reshape(i, [rows, k]));
  const v = tf.reshape(tf.gather(tf.reshape(x, [-1]), tf.reshape(flat, [-1])), values.shape);
  return [v, i];
};

export const cumsumKernel: TfKernel<{ axis: number; exclusive: boolean; reverse: boolean }> = ({ tf, x: [x], attrs: { axis, exclusive, reverse } }) =>
  isEmpty(x.shape) ? tf.clone(x) : tf.cumsum(x, axis, exclusive, reverse);
