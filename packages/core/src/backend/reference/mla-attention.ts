/** The reference backend's absorbed MLA attention (DeepSeek-V3 MLA, docs/mla.md) as direct loops. */
import type { KernelImpl } from "../backend.ts";
import type { FusedAttrs } from "../kernels.ts";
import type { TensorInfo } from "../backend.ts";
import { f32Of, i32Of, toDataId } from "./buffer.ts";

/**
 * Row b's visible keys [first, end) and query column start, from the optional per-row bounds
 * (keyStart, keyEnd, queryStart) clamped to [0, T]; without bounds every key, queries from column 0.
 */
export function rowBoundsOf(bounds: TensorInfo | undefined, t: number): (b: number) => { first: number; end: number; queryStart: number } {
  if (!bounds) return () => ({ first: 0, end: t, queryStart: 0 });
  const values = i32Of(bounds);
  const clampT = (x: number): number => Math.min(t, Math.max(0, x));
  return (b) => ({ first: clampT(values[b * 3]), end: clampT(values[b * 3 + 1]), queryStart: values[b * 3 + 2] });
}

/** out[b, h, s] = sum_t softmax_t((qLat . c_t + qPe . kPe_t) * scale) c_t over the visible tokens t (0 when none). */
export const mlaAttentionKernel: KernelImpl<FusedAttrs["MLAAttention"]> = ([qLat, qPe, c, kPe, bounds], { scale, causal, queryOffset }) => {
  const ql = f32Of(qLat);
  const qp = f32Of(qPe);
  const cv = f32Of(c);
  const kp = f32Of(kPe);
  const [b, h, s, dc] = qLat.shape;
  const [, t, dr] = kPe.shape;
  const dst = new Float32Array(b * h * s * dc);
  const weights = new Float64Array(t);
  const rows = rowBoundsOf(bounds, t);
  for (let bi = 0; bi < b; bi++) {
    const { first, end, queryStart } = rows(bi);
    const cBase = bi * t * dc;
    const kBase = bi * t * dr;
    for (let hi = 0; hi < h; hi++) {
      for (let si = 0; si < s; si++) {
        const row = (bi * h + hi) * s + si;
        const last = causal ? Math.min(end - 1, queryOffset + queryStart + si) : end - 1;
        let max = -Infinity;
        for (let ti = first; ti <= last; ti++) {
          let dot = 0;
          for (let j = 0; j < dc; j++) dot += ql[row * dc + j] * cv[cBase + ti * dc + j];
          for (let j = 0; j < dr; j++) dot += qp[row * dr + j] * kp[kBase + ti * dr + j];
          weights[ti] = dot * scale;
          if (weights[ti] > max) max = weights[ti];
        }
        let total = 0;
        for (let ti = first; ti <= last; ti++) {
          weights[ti] = Math.exp(weights[ti] - max);
          total += weights[ti];
        }
        const out = new Float64Array(dc);
        for (let ti = first; ti <= last; ti++) {
          const p = weights[ti] / total;
          for (let j = 0; j < dc; j++) out[j] += p * cv[cBase + ti * dc + j];
        }
        dst.set(out, row * dc);
      }
    }
  }
  return [toDataId(dst)];
};
