/**
 * Fused kernels on tfjs, each one tf.tidy of tfjs ops: one dispatch from core instead of many, and
 * no r1ts buffers for the intermediates. Gradients stay core's (the VJP of the composed fallbacks).
 */
import { ShapeError } from "@r1ts/core";
import type { FusedAttrs } from "@r1ts/core";
import type { Tf, TfTensor } from "../tf.ts";
import { int, matMulOf } from "./kernel.ts";
import type { TfKernel } from "./kernel.ts";

// RMSNorm (Zhang & Sennrich 2019, eq. 4): y = x / sqrt(mean(x^2) + eps) * w
export const rmsNormKernel: TfKernel<FusedAttrs["RMSNorm"]> = ({ tf, x: [x, weight], attrs: { eps } }) =>
  tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight);

// Rotary embedding (RoFormer eq. 34): each pair (a, b) turns to (a cos - b sin, a sin + b cos).
export const ropeKernel: TfKernel<FusedAttrs["RoPE"]> = ({ tf, x: [x, cosT, sinT], attrs: { interleaved } }) => {
  const [b, s, h, d] = x.shape;
  const half = d / 2;
  const cos = tf.reshape(cosT, [1, s, 1, half]);
  const sin = tf.reshape(sinT, [1, s, 1, half]);
  if (interleaved) {
    const pairs = tf.reshape(x, [b, s, h, half, 2]);
    const a = tf.reshape(tf.slice(pairs, [0, 0, 0, 0, 0], [b, s, h, half, 1]), [b, s, h, half]);
    const c = tf.reshape(tf.slice(pairs, [0, 0, 0, 0, 1], [b, s, h, half, 1]), [b, s, h, half]);
    const ra = tf.sub(tf.mul(a, cos), tf.mul(c, sin));
    const rc = tf.add(tf.mul(a, sin), tf.mul(c, cos));
    return tf.reshape(tf.stack([ra, rc], 4), [b, s, h, d]);
  }
  const a = tf.slice(x, [0, 0, 0, 0], [b, s, h, half]);
  const c = tf.slice(x, [0, 0, 0, half], [b, s, h, half]);
  return tf.concat([tf.sub(tf.mul(a, cos), tf.mul(c, sin)), tf.add(tf.mul(a, sin), tf.mul(c, cos))], 3);
};

/** The row-wise pick logits[r, labels[r]] as [N]. */
function pickLabels(tf: Tf, logits: TfTensor, labels: TfTensor): TfTensor {
  const [n, v] = logits.shape;
  const flat = tf.add(tf.mul(tf.range(0, n, 1, "int32"), int(tf, v)), labels);
  return tf.gather(tf.reshape(logits, [-1]), flat);
}

// Cross-entropy: -log softmax(logits)[label] = logsumexp(logits) - logits[label]
export const crossEntropyKernel: TfKernel<FusedAttrs["CrossEntropy"]> = ({ tf, x: [logits, labels], checkIndices }) => {
  const [n, v] = logits.shape;
  if (n === 0) return tf.zeros([0], "float32");
  if (checkIndices) {
    const values = labels.dataSync();
    values.forEach((label, r) => {
      if (label < 0 || label >= v) throw new ShapeError(`CrossEntropy: label ${label} of row ${r} is out of range [0, ${v})`);
    });
  }
  const max = tf.max(logits, 1, true);
  const lse = tf.add(tf.reshape(max, [n]), tf.log(tf.sum(tf.exp(tf.sub(logits, max)), 1)));
  return tf.sub(lse, pickLabels(tf, logits, labels));
};

/** Added to masked attention scores (core's MASKED_SCORE): far below any real score, yet finite. */
const MASKED_SCORE = -1e9;
const maskCache = new Map<string, Float32Array>();

/** [rows = group * S, T] additive causal mask: row r is query position queryOffset + (r mod S). */
function causalMask(group: number, s: number, t: number, queryOffset: number): Float32Array {
  const key = `${group},${s},${t},${queryOffset}`;
  let mask = maskCache.get(key);
  if (!mask) {
    mask = new Float32Array(group * s * t);
    for (let r = 0; r < group * s; r++) for (let j = queryOffset + (r % s) + 1; j < t; j++) mask[r * t + j] = MASKED_SCORE;
    if (maskCache.size > 64) maskCache.clear();
    maskCache.set(key, mask);
  }
  return mask;
}

// Scaled dot-product attention (Vaswani et al. 2017, eq. 1) with grouped KV heads: softmax(q k^T * scale + mask) v.
export const attentionKernel: TfKernel<FusedAttrs["Attention"]> = (args) => {
  const { tf, x: [q, k, v, bounds], attrs: { scale, causal, queryOffset } } = args;
  const [b, h, s, dk] = q.shape;
  const [, hkv, t] = k.shape;
  const dv = v.shape[3] as number;
  if (b * h * s * dv === 0) return tf.zeros([b, h, s, dv], "float32");
  const group = h / hkv;
  // [B, H, S, Dk] -> [B, Hkv, group * S, Dk]: the query heads of a group share one kv head.
  const qg = tf.reshape(q, [b, hkv, group * s, dk]);
  const scores = tf.mul(matMulOf(args, tf.reshape(qg, [b * hkv, group * s, dk]), tf.reshape(k, [b * hkv, t, dk]), false, true), scale);
  if (bounds) {
    const { additive, anyVisible } = boundsMask(tf, bounds, group * s, s, t, causal, queryOffset);
    const p = softmaxRows(tf, tf.add(tf.reshape(scores, [b, hkv, group * s, t]), additive));
    return tf.reshape(tf.mul(tf.matMul(p, tf.reshape(v, [b, hkv, t, dv])), anyVisible), [b, h, s, dv]);
  }
  const p = maskedSoftmax(tf, scores, causal, group, s, t, queryOffset);
  return tf.reshape(tf.matMul(p, tf.reshape(v, [b * hkv, t, dv])), [b, h, s, dv]);
};

/** softmax(scores + causal mask) along the last axis, max-subtracted. Rows are (head, query) pairs, `group` heads per block of S rows. */
function maskedSoftmax(tf: Tf, scores: TfTensor, causal: boolean, group: number, s: number, t: number, queryOffset: number): TfTensor {
  return softmaxRows(tf, causal ? tf.add(scores, tf.tensor2d(causalMask(group, s, t, queryOffset), [group * s, t], "float32")) : scores);
}

function softmaxRows(tf: Tf, masked: TfTensor): TfTensor {
  const e = tf.exp(tf.sub(masked, tf.max(masked, -1, true)));
  return tf.div(e, tf.sum(e, -1, true));
}

/**
 * The per-row bounds mask (core's kernel contract): row b = (keyStart, keyEnd, queryStart) sees keys
 * keyStart <= t < keyEnd, and query row r (query r mod S) sits at column queryOffset + queryStart + r mod S.
 * Returns the additive mask [B, 1, rows, T] and [B, 1, rows, 1]: whether the row sees any key.
 */
function boundsMask(tf: Tf, bounds: TfTensor, rows: number, s: number, t: number, causal: boolean, queryOffset: number): { additive: TfTensor; anyVisible: TfTensor } {
  const b = bounds.shape[0] as number;
  const column = (i: number): TfTensor => tf.reshape(tf.slice(bounds, [0, i], [b, 1]), [b, 1, 1, 1]);
  const keys = tf.reshape(tf.range(0, t, 1, "int32"), [1, 1, 1, t]);
  let visible = tf.logicalAnd(tf.greaterEqual(keys, column(0)), tf.less(keys, column(1)));
  if (causal) {
    const query = tf.reshape(tf.tensor1d(Int32Array.from({ length: rows }, (_, r) => queryOffset + (r % s)), "int32"), [1, 1, rows, 1]);
    visible = tf.logicalAnd(visible, tf.lessEqual(keys, tf.add(query, column(2))));
  } else {
    visible = tf.logicalAnd(visible, tf.ones([1, 1, rows, 1], "bool"));
  }
  const v = tf.cast(visible, "float32");
  return { additive: tf.mul(tf.sub(1, v), MASKED_SCORE), anyVisible: tf.max(v, -1, true) };
}

// Absorbed multi-head latent attention (DeepSeek-V3 MLA, docs/mla.md): MQA over the latent cache,
//   scores = (qLat . c_t + qPe . kPe_t) * scale, out = softmax(scores) c. Heads fold into rows, so each
// batch is two 2-D matmuls in and one out.
export const mlaAttentionKernel: TfKernel<FusedAttrs["MLAAttention"]> = (args) => {
  const { tf, x: [qLat, qPe, c, kPe, bounds], attrs: { scale, causal, queryOffset } } = args;
  const [b, h, s, dc] = qLat.shape;
  const dr = qPe.shape[3] as number;
  const t = c.shape[1] as number;
  if (b * h * s * dc === 0) return tf.zeros([b, h, s, dc], "float32");
  const latent = tf.reshape(qLat, [b, h * s, dc]);
  const rope = tf.reshape(qPe, [b, h * s, dr]);
  const scores = tf.mul(tf.add(matMulOf(args, latent, c, false, true), matMulOf(args, rope, kPe, false, true)), scale);
  if (bounds) {
    const { additive, anyVisible } = boundsMask(tf, bounds, h * s, s, t, causal, queryOffset);
    const p = softmaxRows(tf, tf.add(tf.reshape(scores, [b, 1, h * s, t]), additive));
    return tf.reshape(tf.mul(tf.matMul(tf.reshape(p, [b, h * s, t]), c), tf.reshape(anyVisible, [b, h * s, 1])), [b, h, s, dc]);
  }
  const p = maskedSoftmax(tf, scores, causal, h, s, t, queryOffset);
  return tf.reshape(tf.matMul(p, c), [b, h, s, dc]);
};

// AdamW (Loshchilov & Hutter 2019, Algorithm 2): Adam moments, bias correction, decoupled weight decay.
export const adamwKernel: TfKernel<FusedAttrs["AdamW"]> = ({ tf, x: [p, g0, m0, v0], attrs: { lr, beta1, beta2, eps, weightDecay, step } }) => {
  const g = tf.reshape(g0, p.shape);
  const m = tf.add(tf.mul(tf.reshape(m0, p.shape), beta1), tf.mul(g, 1 - beta1));
  const v = tf.add(tf.mul(tf.reshape(v0, p.shape), beta2), tf.mul(tf.square(g), 1 - beta2));
  const mHat = tf.div(m, 1 - Math.pow(beta1, step));
  const vHat = tf.div(v, 1 - Math.pow(beta2, step));
  const update = tf.add(tf.div(mHat, tf.add(tf.sqrt(vHat), eps)), tf.mul(p, weightDecay));
  return [tf.sub(p, tf.mul(update, lr)), m, v];
};
