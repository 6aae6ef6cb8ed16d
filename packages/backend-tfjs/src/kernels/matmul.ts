/**
 * Batched matmul on tfjs. Batch dims broadcast numpy-style; tfjs's BatchMatMul kernels only repeat a
 * batch of size 1, so other broadcasts are expanded here first. i32 matmul is exact (tfjs matmul is
 * f32-only): a broadcast multiply and an integer sum over K.
 */
import type { Tf, TfTensor } from "../tf.ts";
import { matMulOf } from "./kernel.ts";
import type { TfKernel } from "./kernel.ts";

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** An operand as [batch, rows, cols]: batch 1 (repeated by tfjs) or the full output batch. */
function asBatch3(tf: Tf, x: TfTensor, outBatch: number[]): TfTensor {
  const rows = x.shape[x.shape.length - 2];
  const cols = x.shape[x.shape.length - 1];
  const batch = x.shape.slice(0, -2);
  const total = sizeOf(outBatch);
  if (sizeOf(batch) === 1) return tf.reshape(x, [1, rows, cols]);
  const padded = [...new Array<number>(outBatch.length - batch.length).fill(1), ...batch];
  const full = padded.every((d, i) => d === outBatch[i]) ? x : tf.broadcastTo(tf.reshape(x, [...padded, rows, cols]), [...outBatch, rows, cols]);
  return tf.reshape(full, [total, rows, cols]);
}

export const matMulKernel: TfKernel<{ transposeA: boolean; transposeB: boolean }> = (args) => {
  const { tf, x: [a, b], attrs: { transposeA, transposeB }, outputs: [out] } = args;
  const outBatch = out.shape.slice(0, -2);
  const k = transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  if (sizeOf(out.shape) === 0 || k === 0) return tf.zeros(out.shape, a.dtype);
  if (a.dtype === "float32" && !transposeA && sizeOf(b.shape.slice(0, -2)) === 1 && a.rank > 2) {
    // One B for every batch of A (a Linear layer on [batch, seq, dim]): one 2-D matmul over all rows,
    // which tfjs runs far faster than a batched one.
    const rows = tf.reshape(a, [-1, k]);
    const b2 = tf.reshape(b, b.shape.slice(-2));
    return tf.reshape(matMulOf(args, rows, b2, false, transposeB), out.shape);
  }
  const a3 = asBatch3(tf, a, outBatch);
  const b3 = asBatch3(tf, b, outBatch);
  if (a.dtype === "float32") return tf.reshape(matMulOf(args, a3, b3, transposeA, transposeB), out.shape);
  // i32: out[b, m, n] = sum_k a[b, m, k] * b[b, k, n], exactly in integers.
  const am = transposeA ? tf.transpose(a3, [0, 2, 1]) : a3;
  const bm = transposeB ? tf.transpose(b3, [0, 2, 1]) : b3;
  const [ab, m, kk] = am.shape;
  const [bb, , n] = bm.shape;
  const products = tf.mul(tf.reshape(am, [ab, m, kk, 1]), tf.reshape(bm, [bb, 1, kk, n]));
  return tf.reshape(tf.sum(products, 2), out.shape);
};
