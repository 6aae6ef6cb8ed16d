/**
 * Multinomial sampling with core's counter-based generator. The uniforms depend only on (seed, counter),
 * never on data, so they are computed on the host with core's `counterUniform` (tfjs has no 32-bit
 * integer multiply-xor to hash with) and uploaded; the CDF is inverted on the device:
 * sample = the first class whose cumulative weight exceeds u * total (tf.searchSorted, side "right"),
 * exactly the reference backend's rule. Sums run in f32 here (f64 in the reference), so a draw
 * that lands within rounding of a CDF boundary can differ.
 */
import { counterUniform } from "@r1ts/core";
import type { TfKernel } from "./kernel.ts";

export const multinomialKernel: TfKernel<{ numSamples: number; seed: number }> = ({ tf, x: [logits], attrs: { numSamples, seed }, outputs: [out] }) => {
  const [rows, classes] = logits.shape;
  if (rows * numSamples === 0) return tf.zeros(out.shape, "int32");
  const u = new Float32Array(rows * numSamples);
  // Sample s of row b uses uniform number b * numSamples + s of stream `seed`.
  for (let i = 0; i < u.length; i++) u[i] = counterUniform(seed, i);
  const weights = tf.exp(tf.sub(logits, tf.max(logits, 1, true)));
  const cdf = tf.cumsum(weights, 1);
  const total = tf.slice(cdf, [0, classes - 1], [rows, 1]);
  const targets = tf.mul(tf.tensor2d(u, [rows, numSamples], "float32"), total);
  const chosen = tf.searchSorted(cdf, targets, "right");
  // A target at or past the total (rounding) falls through: take the last class of nonzero weight.
  const classIds = tf.reshape(tf.range(0, classes, 1, "int32"), [1, classes]);
  const lastNonZero = tf.max(tf.where(tf.greater(weights, 0), tf.broadcastTo(classIds, [rows, classes]), tf.fill([rows, classes], -1, "int32")), 1, true);
  return tf.where(tf.greaterEqual(chosen, classes), tf.broadcastTo(lastNonZero, [rows, numSamples]), chosen);
};
