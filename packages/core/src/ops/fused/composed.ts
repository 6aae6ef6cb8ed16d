/**
 * Every fused kernel written with primitive ops. These run when a backend lacks the fused kernel,
 * and their autograd gives the fused kernels' gradients (autograd/gradients/fused.ts).
 */
import type { FusedAttrs, FusedKernel } from "../../backend/kernels.ts";
import { engine } from "../../tensor/engine.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { add, clamp, div, mul, neg, rsqrt, sqrt, sub } from "../elementwise.ts";
import { concat, reshape, split, transpose } from "../layout.ts";
import { oneHot, takeAlongAxis } from "../indexing.ts";
import { arange } from "../creation.ts";
import { matmul } from "../matmul.ts";
import { mean, sum } from "../reduce.ts";
import { logSoftmax, softmax } from "../softmax.ts";
import { boundsMask } from "./row-bounds.ts";

export type ComposedKernel<K extends FusedKernel> = (inputs: Tensor[], attrs: FusedAttrs[K]) => Tensor[];

/** Added to masked attention scores: far below any real score, yet finite (no inf - inf = NaN anywhere). */
export const MASKED_SCORE = -1e9;

export const composedKernels: { [K in FusedKernel]: ComposedKernel<K> } = {
  // RMSNorm: y = x * rsqrt(mean(x^2) + eps) * w
  RMSNorm: ([x, weight], { eps }) => [
    engine.tidy(() => mul(mul(x, rsqrt(add(mean(mul(x, x), -1, { keepDims: true }), eps))), weight)),
  ],

  // RoPE: (a, b) -> (a cos - b sin, a sin + b cos) for each rotated pair.
  RoPE: ([x, cos, sin], { interleaved }) => [
    engine.tidy(() => {
      const [b, s, h, d] = x.shape;
      const c = reshape(cos, [1, s, 1, d / 2]);
      const sn = reshape(sin, [1, s, 1, d / 2]);
      if (interleaved) {
        const pairs = reshape(x, [b, s, h, d / 2, 2]);
        const [a, bb] = split(pairs, 2, 4).map((t) => reshape(t, [b, s, h, d / 2]));
        const ra = sub(mul(a, c), mul(bb, sn));
        const rb = add(mul(a, sn), mul(bb, c));
        return reshape(concat([reshape(ra, [b, s, h, d / 2, 1]), reshape(rb, [b, s, h, d / 2, 1])], 4), [b, s, h, d]);
      }
      const [a, bb] = split(x, 2, 3);
      return concat([sub(mul(a, c), mul(bb, sn)), add(mul(a, sn), mul(bb, c))], 3);
    }),
  ],

  // Cross-entropy: -log softmax(logits)[label]
  CrossEntropy: ([logits, labels]) => [
    engine.tidy(() => {
      const picked = takeAlongAxis(logSoftmax(logits), reshape(labels, [labels.shape[0], 1]), 1);
      return neg(reshape(picked, [labels.shape[0]]));
    }),
  ],

  // Attention: softmax(q k^T * scale + mask) v, query heads grouped onto their kv head.
  // With per-row bounds, the mask comes from the bounds tensor and queries that see no key return 0.
  Attention: ([q, k, v, bounds], { scale, causal, queryOffset }) => [
    engine.tidy(() => {
      const [b, h, s, dk] = q.shape;
      const [, hkv, t] = k.shape;
      const group = h / hkv;
      // [B, H, S, Dk] -> [B, Hkv, group * S, Dk]: heads of one group share one kv head.
      const qg = reshape(q, [b, hkv, group * s, dk]);
      const scores = mul(matmul(qg, k, { transposeB: true }), scale);
      const out = maskedSoftmaxTimes(scores, v, bounds, group * s, s, t, causal, queryOffset);
      return reshape(out, [b, h, s, v.shape[3]]);
    }),
  ],

  // Absorbed MLA (DeepSeek-V3 MLA): softmax((qLat . c + qPe . kPe) * scale) c, one latent "kv head" shared by all heads.
  MLAAttention: ([qLat, qPe, c, kPe, bounds], { scale, causal, queryOffset }) => [
    engine.tidy(() => {
      const [b, , s, dc] = qLat.shape;
      const [, t, dr] = kPe.shape;
      const latent = reshape(c, [b, 1, t, dc]);
      const scores = mul(add(matmul(qLat, latent, { transposeB: true }), matmul(qPe, reshape(kPe, [b, 1, t, dr]), { transposeB: true })), scale);
      return maskedSoftmaxTimes(scores, latent, bounds, s, s, t, causal, queryOffset);
    }),
  ],

  // cache' = cache * (1 - colsum(W)) + W^T update, W = one_hot(start + 0..S-1, T) [S, T], start clamped to [0, T - S].
  CacheWrite: ([cache, update, start]) => [
    engine.tidy(() => {
      const r = cache.rank;
      const t = cache.shape[r - 2];
      const s = update.shape[r - 2];
      const rows = add(clamp(reshape(start, [1]), 0, t - s), arange(0, s, 1, "i32", cache.backend));
      const w = oneHot(rows, t);
      const keep = reshape(sub(1, sum(w, 0)), cache.shape.map((d, i) => (i === r - 2 ? d : 1)));
      return add(mul(cache, keep), matmul(transpose(w, [1, 0]), update));
    }),
  ],

  // AdamW (Loshchilov & Hutter, Algorithm 2).
  AdamW: ([p, g, m, v], { lr, beta1, beta2, eps, weightDecay, step }) =>
    engine.noGrad(() => {
      const m1 = engine.tidy(() => add(mul(m, beta1), mul(g, 1 - beta1)));
      const v1 = engine.tidy(() => add(mul(v, beta2), mul(mul(g, g), 1 - beta2)));
      const p1 = engine.tidy(() => {
        const mHat = div(m1, 1 - Math.pow(beta1, step));
        const vHat = div(v1, 1 - Math.pow(beta2, step));
        const update = add(div(mHat, add(sqrt(vHat), eps)), mul(p, weightDecay));
        return sub(p, mul(update, lr));
      });
      return [p1, m1, v1];
    }),
};

/**
 * softmax(scores + mask) values for scores [B, *, rows, T] (row r is query r mod S): the causal mask
 * from queryOffset, or with `bounds` the per-row mask (rows that see no key give 0).
 */
function maskedSoftmaxTimes(scores: Tensor, values: Tensor, bounds: Tensor | undefined, rows: number, s: number, t: number, causal: boolean, queryOffset: number): Tensor {
  if (!bounds) return matmul(softmax(causal ? add(scores, causalMask(rows / s, s, t, queryOffset, scores)) : scores), values);
  const { additive, anyVisible } = boundsMask(bounds, rows, s, t, { causal, queryOffset, masked: MASKED_SCORE });
  return mul(matmul(softmax(add(scores, additive)), values), anyVisible);
}

/** [group * S, T] additive mask: row r is query position queryOffset + (r mod S); keys after it are masked. */
function causalMask(group: number, s: number, t: number, queryOffset: number, like: Tensor): Tensor {
  const values = new Float32Array(group * s * t);
  for (let r = 0; r < group * s; r++) {
    const position = queryOffset + (r % s);
    for (let j = position + 1; j < t; j++) values[r * t + j] = MASKED_SCORE;
  }
  return engine.makeTensor(values, [group * s, t], "f32", like.backend);
}
