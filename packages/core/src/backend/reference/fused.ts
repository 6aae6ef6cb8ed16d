/**
 * Fused kernels of the reference backend, written as direct loops. They are an independent second
 * implementation of what core's composed fallbacks compute, which the conformance suite compares.
 */
import { ShapeError } from "../../errors.ts";
import type { FusedKernelImpls } from "../backend.ts";
import { f32Of, i32Of, toDataId } from "./buffer.ts";
import { mlaAttentionKernel, rowBoundsOf } from "./mla-attention.ts";

export const referenceFused: FusedKernelImpls = {
  // RMSNorm (Zhang & Sennrich 2019): y = x / sqrt(mean(x^2) + eps) * w
  RMSNorm: ([x, weight], { eps }) => {
    const src = f32Of(x);
    const w = f32Of(weight);
    const d = w.length;
    const dst = new Float32Array(src.length);
    for (let row = 0; row < src.length; row += d) {
      let ms = 0;
      for (let j = 0; j < d; j++) ms += src[row + j] * src[row + j];
      const r = 1 / Math.sqrt(ms / d + eps);
      for (let j = 0; j < d; j++) dst[row + j] = src[row + j] * r * w[j];
    }
    return [toDataId(dst)];
  },

  // Rotary embedding (RoFormer eq. 34): each pair (a, b) rotates by the angle of its position and frequency.
  RoPE: ([x, cosT, sinT], { interleaved }) => {
    const src = f32Of(x);
    const cos = f32Of(cosT);
    const sin = f32Of(sinT);
    const [b, s, h, d] = x.shape;
    const half = d / 2;
    const dst = new Float32Array(src.length);
    for (let bi = 0; bi < b; bi++) {
      for (let si = 0; si < s; si++) {
        for (let hi = 0; hi < h; hi++) {
          const base = ((bi * s + si) * h + hi) * d;
          for (let i = 0; i < half; i++) {
            const c = cos[si * half + i];
            const sn = sin[si * half + i];
            const ia = interleaved ? base + 2 * i : base + i;
            const ib = interleaved ? ia + 1 : ia + half;
            const a = src[ia];
            const bb = src[ib];
            dst[ia] = a * c - bb * sn;
            dst[ib] = a * sn + bb * c;
          }
        }
      }
    }
    return [toDataId(dst)];
  },

  // Cross-entropy: -log softmax(logits)[label] = logsumexp(logits) - logits[label]
  CrossEntropy: ([logits, labels]) => {
    const src = f32Of(logits);
    const lab = i32Of(labels);
    const [n, v] = logits.shape;
    const dst = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let max = -Infinity;
      for (let j = 0; j < v; j++) max = Math.max(max, src[r * v + j]);
      let sum = 0;
      for (let j = 0; j < v; j++) sum += Math.exp(src[r * v + j] - max);
      if (lab[r] < 0 || lab[r] >= v) throw new ShapeError(`CrossEntropy: label ${lab[r]} of row ${r} is out of range [0, ${v})`);
      dst[r] = max + Math.log(sum) - src[r * v + lab[r]];
    }
    return [toDataId(dst)];
  },

  // Scaled dot-product attention (Vaswani et al. eq. 1) with grouped KV heads and an optional causal mask.
  Attention: ([q, k, v, bounds], { scale, causal, queryOffset }) => {
    const qv = f32Of(q);
    const kv = f32Of(k);
    const vv = f32Of(v);
    const [b, h, s, dk] = q.shape;
    const [, hkv, t] = k.shape;
    const dv = v.shape[3];
    const group = h / hkv;
    const dst = new Float32Array(b * h * s * dv);
    const scores = new Float64Array(t);
    const rows = rowBoundsOf(bounds, t);
    for (let bi = 0; bi < b; bi++) {
      const { first, end, queryStart } = rows(bi);
      for (let hi = 0; hi < h; hi++) {
        const kh = Math.floor(hi / group);
        const kBase = (bi * hkv + kh) * t * dk;
        const vBase = (bi * hkv + kh) * t * dv;
        for (let si = 0; si < s; si++) {
          const qBase = ((bi * h + hi) * s + si) * dk;
          const last = causal ? Math.min(end - 1, queryOffset + queryStart + si) : end - 1;
          let max = -Infinity;
          for (let ti = first; ti <= last; ti++) {
            let dot = 0;
            for (let j = 0; j < dk; j++) dot += qv[qBase + j] * kv[kBase + ti * dk + j];
            scores[ti] = dot * scale;
            if (scores[ti] > max) max = scores[ti];
          }
          let sum = 0;
          for (let ti = first; ti <= last; ti++) {
            scores[ti] = Math.exp(scores[ti] - max);
            sum += scores[ti];
          }
          const oBase = ((bi * h + hi) * s + si) * dv;
          for (let ti = first; ti <= last; ti++) {
            const p = scores[ti] / sum;
            for (let j = 0; j < dv; j++) dst[oBase + j] += p * vv[vBase + ti * dv + j];
          }
        }
      }
    }
    return [toDataId(dst)];
  },

  MLAAttention: mlaAttentionKernel,

  // Row copy: cache row start + s of every leading index takes the update's row s (start clamped to [0, T - S]).
  CacheWrite: ([cache, update, start]) => {
    const dst = f32Of(cache).slice();
    const src = f32Of(update);
    const r = cache.shape.length;
    const [t, d] = [cache.shape[r - 2], cache.shape[r - 1]];
    const s = update.shape[r - 2];
    const at = Math.min(Math.max(i32Of(start)[0], 0), t - s);
    const lead = t * d === 0 ? 0 : dst.length / (t * d);
    for (let l = 0; l < lead; l++) dst.set(src.subarray(l * s * d, (l + 1) * s * d), (l * t + at) * d);
    return [toDataId(dst)];
  },

  // AdamW (Loshchilov & Hutter, Algorithm 2): Adam moments, bias correction, decoupled weight decay.
  AdamW: ([param, grad, m, v], { lr, beta1, beta2, eps, weightDecay, step }) => {
    const p = f32Of(param);
    const g = f32Of(grad);
    const m0 = f32Of(m);
    const v0 = f32Of(v);
    const n = p.length;
    const p1 = new Float32Array(n);
    const m1 = new Float32Array(n);
    const v1 = new Float32Array(n);
    const c1 = 1 - Math.pow(beta1, step);
    const c2 = 1 - Math.pow(beta2, step);
    for (let i = 0; i < n; i++) {
      m1[i] = beta1 * m0[i] + (1 - beta1) * g[i];
      v1[i] = beta2 * v0[i] + (1 - beta2) * g[i] * g[i];
      const update = m1[i] / c1 / (Math.sqrt(v1[i] / c2) + eps);
      p1[i] = p[i] - lr * (update + weightDecay * p[i]);
    }
    return [toDataId(p1), toDataId(m1), toDataId(v1)];
  },
};
