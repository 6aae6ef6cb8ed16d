/**
 * Causal attention with an online softmax (FlashAttention, Dao et al. 2022, Algorithm 1): no S x T
 * score matrix is ever stored. A workgroup holds 64 queries of one (batch, head); keys and values
 * stream through workgroup memory a tile at a time, and each thread keeps its query's running max,
 * normaliser and output accumulator in registers. Head dims are compiled into the shader.
 * With few queries (decoding) the keys are split across workgroups instead (split-attention.ts).
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
  return ([q, k, v], { scale, causal, queryOffset }) => {
    const [b, h, s, dk] = q.shape;
    const [, hkv, t] = k.shape;
    const dv = v.shape[3];
    if (s <= DECODE_QUERIES) {
      // Decoding: the query heads of a kv head share its cache; split the keys, not the queries.
      const out = runSplitAttention(
        rt,
        { da: dk, db: 0, dv, valuesAreA: false, causal },
        { streams: b * hkv, rows: (h / hkv) * s, s, t, scale, queryOffset },
        { qA: gpuDataOf(q), kA: gpuDataOf(k), values: gpuDataOf(v) },
      );
      return [out];
    }
    const out = rt.alloc("f32", b * h * s * dv);
    const tt = keysPerTile(dk, dv);
    const key = `attention:${dk}:${dv}:${causal}`;
    const p = rt.program(key, () =>
      program({
        label: key,
        bindings: [{ name: "q", type: "f32", access: "read" }, { name: "k", type: "f32", access: "read" }, { name: "v", type: "f32", access: "read" }, { name: "out", type: "f32", access: "read_write" }],
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
  // Keys this query sees: t <= offset + si when causal.
  var last = p_t();
  ${causal ? "last = min(p_t(), p_offset() + si + 1u);" : ""}
  // Keys any query of the block sees (uniform across the workgroup).
  var blockEnd = p_t();
  ${causal ? "blockEnd = min(p_t(), p_offset() + min(p_s(), (qblock + 1u) * WG));" : ""}
  var m = -INF();
  var l = 0.0;
  var acc: array<f32, ${Math.max(dv, 1)}>;
  for (var t0 = 0u; t0 < blockEnd; t0 += TT) {
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
    rt.run(p, [gpuDataOf(q), gpuDataOf(k), gpuDataOf(v), out], { h, hkv, s, t, qblocks, offset: queryOffset, scale }, b * h * qblocks);
    return [out];
  };
}
