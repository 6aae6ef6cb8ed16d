/** The reference backend's absorbed MLA attention (DeepSeek-V3 MLA, docs/mla.md) as direct loops. */
import type { KernelImpl } from "../backend.ts";
import type { FusedAttrs } from "../kernels.ts";
import { f32Of, toDataId } from "./buffer.ts";

/** out[b, h, s] = sum_t softmax_t((qLat . c_t + qPe . kPe_t) * scale) c_t over the visible tokens t. */
export const mlaAttentionKernel: KernelImpl<FusedAttrs["MLAAttention"]> = ([qLat, qPe, c, kPe], { scale, causal, queryOffset }) => {
  const ql = f32Of(qLat);
  const qp = f32Of(qPe);
  const cv = f32Of(c);
  const kp = f32Of(kPe);
  const [b, h, s, dc] = qLat.shape;
  const [, t, dr] = kPe.shape;
  const dst = new Float32Array(b * h * s * dc);
  const weights = new Float64Array(t);
  for (let bi = 0; bi < b; bi++) {
    const cBase = bi * t * dc;
    const kBase = bi * t * dr;
    for (let hi = 0; hi < h; hi++) {
      for (let si = 0; si < s; si++) {
        const row = (bi * h + hi) * s + si;
        const last = causal ? Math.min(t - 1, queryOffset + si) : t - 1;
        let max = -Infinity;
        for (let ti = 0; ti <= last; ti++) {
          let dot = 0;
          for (let j = 0; j < dc; j++) dot += ql[row * dc + j] * cv[cBase + ti * dc + j];
          for (let j = 0; j < dr; j++) dot += qp[row * dr + j] * kp[kBase + ti * dr + j];
          weights[ti] = dot * scale;
          if (weights[ti] > max) max = weights[ti];
        }
        let total = 0;
        for (let ti = 0; ti <= last; ti++) {
          weights[ti] = Math.exp(weights[ti] - max);
          total += weights[ti];
        }
        const out = new Float64Array(dc);
        for (let ti = 0; ti <= last; ti++) {
          const p = weights[ti] / total;
          for (let j = 0; j < dc; j++) out[j] += p * cv[cBase + ti * dc + j];
        }
        dst.set(out, row * dc);
      }
    }
  }
  return [toDataId(dst)];
};
