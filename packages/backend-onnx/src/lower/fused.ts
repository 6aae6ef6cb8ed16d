/**
 * Fused kernels in ONNX: RMSNorm as ORT's SimplifiedLayerNormalization contrib op; RoPE, cross-entropy,
 * attention, MLA attention and AdamW in their composed form (which ORT's graph optimiser fuses further).
 */
import type { FusedAttrs } from "@r1ts/core";
/** Added to masked scores: far below any real score, yet finite (as core's composed attention). */
export const MASKED_SCORE = -1e9;
import { INT64, ONNX_TYPE } from "../dtypes.ts";
import type { GraphBuilder } from "../graph-builder.ts";
import { type Lowering, reshape } from "./lowering.ts";

/** [rows, t] additive causal mask: row r is query position offset + (r mod s). */
function causalMask(g: GraphBuilder, rows: number, s: number, t: number, offset: number): string {
  const values = new Float32Array(rows * t);
  for (let r = 0; r < rows; r++) for (let j = offset + (r % s) + 1; j < t; j++) values[r * t + j] = MASKED_SCORE;
  return g.constant(values, "f32", [rows, t]);
}

export function slice(g: GraphBuilder, x: string, axis: number, begin: number, end: number): string {
  return g.op("Slice", [x, g.int64s([begin]), g.int64s([end]), g.int64s([axis])]);
}

/**
 * The per-row bounds mask (core's kernel contract) from bounds i32 [B, 3] = (keyStart, keyEnd, queryStart):
 * key t is visible to score row r (query r mod s) of row b when keyStart <= t < keyEnd and, if causal,
 * t <= queryOffset + queryStart + r mod s. Returns the additive mask [B, 1, rows, T] and [B, 1, rows, 1]
 * f32: whether the row sees any key (its output is 0 otherwise).
 */
export function boundsMask(g: GraphBuilder, bounds: string, b: number, rows: number, s: number, t: number, causal: boolean, queryOffset: number, keyColumns?: string): { additive: string; anyVisible: string } {
  const column = (i: number): string => reshape(g, slice(g, bounds, 1, i, i + 1), [b, 1, 1, 1]);
  // The key columns: 0..T-1, or given (i32 [1, 1, 1, t]: where a block of keys sits in the row).
  const keys = keyColumns ?? g.constant(Int32Array.from({ length: t }, (_, i) => i), "i32", [1, 1, 1, t]);
  let visible = g.op("Cast", [g.op("And", [g.op("GreaterOrEqual", [keys, column(0)]), g.op("Less", [keys, column(1)])])], { to: ONNX_TYPE.f32 });
  const query = g.constant(Int32Array.from({ length: rows }, (_, r) => queryOffset + (r % s)), "i32", [1, 1, rows, 1]);
  const perRow = causal ? g.op("Cast", [g.op("LessOrEqual", [keys, g.op("Add", [query, column(2)])])], { to: ONNX_TYPE.f32 }) : g.constant(new Float32Array(rows).fill(1), "f32", [1, 1, rows, 1]);
  visible = g.op("Mul", [visible, perRow]);
  return {
    additive: g.op("Mul", [g.op("Sub", [g.f32(1), visible]), g.f32(MASKED_SCORE)]),
    anyVisible: g.op("ReduceMax", [visible, g.int64s([3])], { keepdims: 1 }),
  };
}

/** softmax(scores + mask) values over score rows [B, *, rows, T]: the causal mask, or the per-row bounds mask when given. */
function maskedSoftmaxTimes(g: GraphBuilder, scores: string, values: string, bounds: string | undefined, m: { b: number; rows: number; s: number; t: number; causal: boolean; queryOffset: number }): string {
  if (!bounds) {
    const masked = m.causal ? g.op("Add", [scores, causalMask(g, m.rows, m.s, m.t, m.queryOffset)]) : scores;
    return g.op("MatMul", [g.op("Softmax", [masked], { axis: -1 }), values]);
  }
  const { additive, anyVisible } = boundsMask(g, bounds, m.b, m.rows, m.s, m.t, m.causal, m.queryOffset);
  return g.op("Mul", [g.op("MatMul", [g.op("Softmax", [g.op("Add", [scores, additive])], { axis: -1 }), values]), anyVisible]);
}

export const fusedLowerings = {
  // RMSNorm (Zhang & Sennrich 2019): y = x / sqrt(mean(x^2) + eps) * w.
  RMSNorm: ((g, [x, w], { eps }) => [g.op("SimplifiedLayerNormalization", [x, w], { axis: -1, epsilon: { float: eps }, stash_type: 1 })]) as Lowering<FusedAttrs["RMSNorm"]>,

  // RoPE (RoFormer eq. 34): pairs (a, b) -> (a cos - b sin, a sin + b cos).
  RoPE: ((g, [x, cos, sin], { interleaved }, { inputs }) => {
    const [b, s, h, d] = inputs[0].shape;
    const c = reshape(g, cos, [1, s, 1, d / 2]);
    const sn = reshape(g, sin, [1, s, 1, d / 2]);
    const rotate = (a: string, bb: string): [string, string] => [
      g.op("Sub", [g.op("Mul", [a, c]), g.op("Mul", [bb, sn])]),
      g.op("Add", [g.op("Mul", [a, sn]), g.op("Mul", [bb, c])]),
    ];
    if (interleaved) {
      const pairs = reshape(g, x, [b, s, h, d / 2, 2]);
      const a = reshape(g, slice(g, pairs, 4, 0, 1), [b, s, h, d / 2]);
      const bb = reshape(g, slice(g, pairs, 4, 1, 2), [b, s, h, d / 2]);
      const [ra, rb] = rotate(a, bb);
      return [reshape(g, g.op("Concat", [reshape(g, ra, [b, s, h, d / 2, 1]), reshape(g, rb, [b, s, h, d / 2, 1])], { axis: 4 }), [b, s, h, d])];
    }
    const [ra, rb] = rotate(slice(g, x, 3, 0, d / 2), slice(g, x, 3, d / 2, d));
    return [g.op("Concat", [ra, rb], { axis: 3 })];
  }) as Lowering<FusedAttrs["RoPE"]>,

  // -log softmax(logits)[label]
  CrossEntropy: ((g, [logits, labels], _attrs, { inputs }) => {
    const n = inputs[0].shape[0];
    const picked = g.op("GatherElements", [g.op("LogSoftmax", [logits], { axis: -1 }), g.op("Unsqueeze", [labels, g.int64s([1])])], { axis: 1 });
    return [g.op("Neg", [reshape(g, picked, [n])])];
  }) as Lowering<FusedAttrs["CrossEntropy"]>,

  // softmax(q k^T * scale + causal mask) v; the query heads of a group share one kv head.
  // With per-row bounds (a 4th input) the mask is computed in the graph from them.
  Attention: ((g, [q, k, v, bounds], { scale, causal, queryOffset }, { inputs }) => {
    const [b, h, s, dk] = inputs[0].shape;
    const [, hkv, t] = inputs[1].shape;
    const dv = inputs[2].shape[3];
    const group = h / hkv;
    const qg = reshape(g, q, [b, hkv, group * s, dk]);
    const scores = g.op("Mul", [g.op("MatMul", [qg, g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]), g.f32(scale)]);
    return [reshape(g, maskedSoftmaxTimes(g, scores, v, bounds, { b, rows: group * s, s, t, causal, queryOffset }), [b, h, s, dv])];
  }) as Lowering<FusedAttrs["Attention"]>,

  // Absorbed MLA (DeepSeek-V3): softmax((qLat . c + qPe . kPe) * scale) c over one shared latent "kv head".
  MLAAttention: ((g, [qLat, qPe, c, kPe, bounds], { scale, causal, queryOffset }, { inputs }) => {
    const [b, , s] = inputs[0].shape;
    const [, t, dc] = inputs[2].shape;
    const dr = inputs[3].shape[2];
    const latent = reshape(g, c, [b, 1, t, dc]);
    const ropeKey = reshape(g, kPe, [b, 1, t, dr]);
    const dots = g.op("Add", [g.op("MatMul", [qLat, g.op("Transpose", [latent], { perm: [0, 1, 3, 2] })]), g.op("MatMul", [qPe, g.op("Transpose", [ropeKey], { perm: [0, 1, 3, 2] })])]);
    const scores = g.op("Mul", [dots, g.f32(scale)]);
    return [maskedSoftmaxTimes(g, scores, latent, bounds, { b, rows: s, s, t, causal, queryOffset })];
  }) as Lowering<FusedAttrs["MLAAttention"]>,

  // ScatterND: index (lead..., start' + s) takes update row (lead..., s), start' = clip(start, 0, T - S): one copy
  // of the cache (a memcpy, written straight into the graph output) and one row write per leading index and s.
  CacheWrite: ((g, [cache, update, start], _attrs, { inputs }) => {
    const shape = inputs[0].shape;
    const r = shape.length;
    const t = shape[r - 2];
    const s = inputs[1].shape[r - 2];
    const lead = shape.slice(0, r - 2);
    const count = lead.reduce((a, b) => a * b, 1);
    const first = g.op("Clip", [g.op("Cast", [reshape(g, start, [1])], { to: INT64 }), g.int64(0), g.int64(t - s)]);
    const rowsShape = [...lead, s, 1];
    const rows = g.op("Expand", [reshape(g, g.op("Add", [first, g.int64s(Array.from({ length: s }, (_, i) => i))]), [...lead.map(() => 1), s, 1]), g.int64s(rowsShape)]);
    // The leading coordinates of every (lead..., s) position, as a constant [...lead, S, r - 2].
    const coords = new BigInt64Array(count * s * lead.length);
    for (let k = 0; k < count; k++) {
      let rest = k;
      for (let a = lead.length - 1; a >= 0; a--) {
        const c = BigInt(rest % lead[a]);
        rest = Math.floor(rest / lead[a]);
        for (let j = 0; j < s; j++) coords[(k * s + j) * lead.length + a] = c;
      }
    }
    const indices = lead.length === 0 ? rows : g.op("Concat", [g.constantOf(coords, INT64, [...lead, s, lead.length]), rows], { axis: r - 1 });
    return [g.op("ScatterND", [cache, indices, update])];
  }) as Lowering<FusedAttrs["CacheWrite"]>,

  // AdamW (Loshchilov & Hutter, Algorithm 2), bias-corrected with the step attribute.
  AdamW: ((g, [p, grad, m, v], { lr, beta1, beta2, eps, weightDecay, step }, { inputs }) => {
    const shape = inputs[0].shape;
    const gr = reshape(g, grad, shape);
    const m1 = g.op("Add", [g.op("Mul", [reshape(g, m, shape), g.f32(beta1)]), g.op("Mul", [gr, g.f32(1 - beta1)])]);
    const v1 = g.op("Add", [g.op("Mul", [reshape(g, v, shape), g.f32(beta2)]), g.op("Mul", [g.op("Mul", [gr, gr]), g.f32(1 - beta2)])]);
    const mHat = g.op("Div", [m1, g.f32(1 - Math.pow(beta1, step))]);
    const vHat = g.op("Div", [v1, g.f32(1 - Math.pow(beta2, step))]);
    const update = g.op("Add", [g.op("Div", [mHat, g.op("Add", [g.op("Sqrt", [vHat]), g.f32(eps)])]), g.op("Mul", [p, g.f32(weightDecay)])]);
    return [g.op("Sub", [p, g.op("Mul", [update, g.f32(lr)])]), reshape(g, m1, inputs[2].shape), reshape(g, v1, inputs[3].shape)];
  }) as Lowering<FusedAttrs["AdamW"]>,
};

export { INT64 };
