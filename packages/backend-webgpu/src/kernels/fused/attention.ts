/**
 * Causal attention with an online softmax (FlashAttention, Dao et al. 2022, Algorithm 1): no S x T
 * score matrix is ever stored. A workgroup holds 64 queries of one (batch, head); keys and values
 * stream through workgroup memory a tile at a time, and each thread keeps its query's running max,
 * normaliser and output accumulator in registers. Head dims are compiled into the shader.
 * With few queries (decoding) the keys are split across workgroups instead (split-attention.ts).
 * Per-row bounds (padded batches, core's kernel contract) narrow each row's keys and shift its queries.
 */
import type { FusedAttrs, KernelImpl } from "@r1ts/core";
import { gpuDataOf } from "../../gpu/gpu-tensor.ts";
import { ParamLayout } from "../../gpu/params.ts";
import { program } from "../../gpu/program.ts";
import type { Runtime } from "../../gpu/runtime.ts";
import { runSplitAttention } from "./split-attention.ts";

const QUERIES = 64;
/** Up to this many new queries (decoding), attention splits the keys across workgroups instead. */
const DECODE_QUERIES = 8;

/** Keys per tile: workgroup memory holds TT * (Dk + Dv) floats, at most 6144 (24 KiB). */
function keysPerTile(dk: number, dv: number): number {
  return Math.max(1, Math.min(32, Math.floor(6144 / Math.max(1, dk + dv))));
}

export function attentionKernel(rt: Runtime): KernelImpl<FusedAttrs["Attention"]> {
  return ([q, k, v, bounds], { scale, causal, queryOffset }) => {
    const [b, h, s, dk] = q.shape;
    const [, hkv, t] = k.shape;
    const dv = v.shape[3];
    const bounded = bounds !== undefined;
    if (s <= DECODE_QUERIES) {
      // Decoding: the query heads of a kv head share its cache; split the keys, not the queries.
      const out = runSplitAttention(
        rt,
        { da: dk, db: 0, dv, valuesAreA: false, causal, bounded },
        { streams: b * hkv, rows: (h / hkv) * s, s, t, scale, queryOffset, perBatch: hkv },
        { qA: gpuDataOf(q), kA: gpuDataOf(k), values: gpuDataOf(v), bounds: bounds && gpuDataOf(bounds) },
      );
      return [out];
    }
    const out = rt.alloc("f32", b * h * s * dv);
    const tt = keysPerTile(dk, dv);
    const key = `attention:${dk}:${dv}:${causal}:${bounded}`;
    const p = rt.program(key, () =>
      program({
        label: key,
        bindings: [
          { name: "q", type: "f32", access: "read" },
          { name: "k", type: "f32", access: "read" },
          { name: "v", type: "f32", access: "read" },
          ...(bounded ? [{ name: "bounds", type: "i32", access: "read" as const }] : []),
          { name: "out", type: "f32", access: "read_write" },
        ],
        params: new ParamLayout().u32("h").u32("hkv").u32("s").u32("t").u32("qblocks").u32("offset").f32("scale"),
        workgroupSize: QUERIES,
        helpers: `const DK: u32 = ${dk}u;
const DV: u32 = ${dv}u;
const TT: u32 = ${tt}u;
var<workgroup> ks: array<f32, ${tt * Math.max(dk, 1)}>;
var<workgroup> vs: array<f32, ${tt * Math.max(dv, 1)}>;`,
        body: `  let qblock = wid % p_qblocks();
  let bh = wid / p_qblocks();
  let head = bh % p_h();
  let batch = bh / p_h();
  let kvh = head / (p_h() / p_hkv());
  let kvBase = (batch * p_hkv() + kvh) * p_t();
  let si = qblock * WG + lid;
  let hasQuery = si < p_s();
  let qBase = (bh * p_s() + si) * DK;
  var qv: array<f32, ${Math.max(dk, 1)}>;
  if (hasQuery) { for (var j = 0u; j < DK; j++) { qv[j] = q[qBase + j] * p_scale(); } }
  // Keys this query sees: first <= t < last (t <= its column when causal).
  ${visibleKeys(causal, bounded)}
  var m = -INF();
  var l = 0.0;
  var acc: array<f32, ${Math.max(dv, 1)}>;
  for (var t0 = first; t0 < blockEnd; t0 += TT) {
    for (var e = lid; e < TT * DK; e += WG) {
      let tk = t0 + e / DK;
      ks[e] = select(0.0, k[(kvBase + tk) * DK + e % DK], tk < p_t());
    }
    for (var e = lid; e < TT * DV; e += WG) {
      let tk = t0 + e / DV;
      vs[e] = select(0.0, v[(kvBase + tk) * DV + e % DV], tk < p_t());
    }
    workgroupBarrier();
    if (hasQuery) {
      for (var j = 0u; j < TT; j++) {
        if (t0 + j >= last) { break; }
        var score = 0.0;
        for (var d = 0u; d < DK; d++) { score += qv[d] * ks[j * DK + d]; }
        let mNew = max(m, score);
        let corr = exp(m - mNew);
        let pj = exp(score - mNew);
        l = l * corr + pj;
        for (var d = 0u; d < DV; d++) { acc[d] = acc[d] * corr + pj * vs[j * DV + d]; }
        m = mNew;
      }
    }
    workgroupBarrier();
  }
  if (hasQuery) {
    let oBase = (bh * p_s() + si) * DV;
    let inv = select(0.0, 1.0 / l, l > 0.0);
    for (var d = 0u; d < DV; d++) { out[oBase + d] = acc[d] * inv; }
  }`,
      }),
    );
    const qblocks = Math.ceil(s / QUERIES);
    rt.run(p, [gpuDataOf(q), gpuDataOf(k), gpuDataOf(v), ...(bounds ? [gpuDataOf(bounds)] : []), out], { h, hkv, s, t, qblocks, offset: queryOffset, scale }, b * h * qblocks);
    return [out];
  };
}

/**
 * WGSL setting `first`, `last` (this query's keys) and `blockEnd` (uniform across the workgroup: no
 * query of the block sees a key from it on). Query si sits at column offset + si, plus its row's
 * queryStart with per-row bounds (keyStart, keyEnd, queryStart), which also limit the keys.
 */
function visibleKeys(causal: boolean, bounded: boolean): string {
  const blockQueries = "min(p_s(), (qblock + 1u) * WG)";
  if (!bounded) {
    return `let first = 0u;
  var last = p_t();
  ${causal ? "last = min(p_t(), p_offset() + si + 1u);" : ""}
  var blockEnd = p_t();
  ${causal ? `blockEnd = min(p_t(), p_offset() + ${blockQueries});` : ""}`;
  }
  return `let tI = i32(p_t());
  let first = u32(clamp(bounds[batch * 3u], 0, tI));
  let keyEnd = u32(clamp(bounds[batch * 3u + 1u], 0, tI));
  let column = i32(p_offset()) + bounds[batch * 3u + 2u];
  var last = keyEnd;
  ${causal ? "last = min(keyEnd, u32(clamp(column + i32(si) + 1, 0, tI)));" : ""}
  var blockEnd = keyEnd;
  ${causal ? `blockEnd = min(keyEnd, u32(clamp(column + i32(${blockQueries}), 0, tI)));` : ""}`;
}
