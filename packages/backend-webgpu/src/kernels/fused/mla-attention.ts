/**
 * Absorbed multi-head latent attention (DeepSeek-V3 MLA, REFERENCE.md §4): MQA over the latent cache,
 * every (head, query) row scoring cached token t by (qLat . c_t + qPe . kPe_t) * scale and returning
 * sum_t softmax_t c_t. All rows of a batch share one cache, so a workgroup takes a group of rows (all the
 * heads of a decode step) and reads each cached token's 576 values once for all of them.
 *
 * Split-K "flash decoding" in two passes: pass 1 gives each workgroup (batch, row group, chunk of
 * tokens) an online softmax over its chunk (running max, normaliser and latent accumulator per row,
 * FlashAttention's rescaling, Dao et al. 2022, Algorithm 1); pass 2 merges the chunks of each row.
 * The latent and rope widths and the row-group size are compiled into the shaders.
 */
import type { FusedAttrs, KernelImpl } from "@r1ts/core";
import { gpuDataOf } from "../../gpu/gpu-tensor.ts";
import { ParamLayout } from "../../gpu/params.ts";
import { groupsFor, program } from "../../gpu/program.ts";
import type { Runtime } from "../../gpu/runtime.ts";

const WG = 256;
/** Tokens staged in workgroup memory at a time. */
const SUB = 8;
/** Rows (head x query) per workgroup. */
const MAX_ROW_GROUP = 16;
/** Aim for at least this many workgroups in pass 1 (split the tokens into chunks until then). */
const TARGET_WORKGROUPS = 128;

export interface MlaPlan {
  rowGroup: number;
  groups: number;
  chunk: number;
  chunks: number;
}

/** How pass 1 splits rows and tokens into workgroups. */
export function planMla(batch: number, rows: number, tokens: number): MlaPlan {
  const rowGroup = Math.min(MAX_ROW_GROUP, Math.max(1, rows));
  const groups = Math.ceil(rows / rowGroup);
  const wanted = Math.max(1, Math.ceil(TARGET_WORKGROUPS / Math.max(1, batch * groups)));
  const chunk = Math.max(SUB, Math.ceil(Math.ceil(Math.max(tokens, 1) / wanted) / SUB) * SUB);
  return { rowGroup, groups, chunk, chunks: Math.max(1, Math.ceil(tokens / chunk)) };
}

function passOne(dc: number, dr: number, rg: number, causal: boolean) {
  const key = `mla-partial:${dc}:${dr}:${rg}:${causal}`;
  const perThread = Math.ceil((rg * dc) / WG);
  return {
    key,
    make: () =>
      program({
        label: key,
        bindings: [
          { name: "qLat", type: "f32", access: "read" },
          { name: "qPe", type: "f32", access: "read" },
          { name: "cache", type: "f32", access: "read" },
          { name: "kPe", type: "f32", access: "read" },
          { name: "partO", type: "f32", access: "read_write" },
          { name: "partML", type: "f32", access: "read_write" },
        ],
        params: new ParamLayout().u32("rows").u32("s").u32("t").u32("groups").u32("chunk").u32("chunks").u32("offset").f32("scale"),
        workgroupSize: WG,
        helpers: `const DC: u32 = ${dc}u;
const DR: u32 = ${dr}u;
const RG: u32 = ${rg}u;
const SUB: u32 = ${SUB}u;
var<workgroup> cS: array<f32, ${SUB * Math.max(dc, 1)}>;
var<workgroup> pS: array<f32, ${SUB * Math.max(dr, 1)}>;
var<workgroup> sc: array<f32, ${rg * SUB}>;
var<workgroup> rowMax: array<f32, ${rg}>;
var<workgroup> rowSum: array<f32, ${rg}>;
var<workgroup> rowCorr: array<f32, ${rg}>;
// Tokens row r sees: t < visible(r).
fn visible(r: u32) -> u32 {
  ${causal ? "return min(p_t(), p_offset() + r % p_s() + 1u);" : "return p_t();"}
}`,
        body: `  let c = wid % p_chunks();
  let g = (wid / p_chunks()) % p_groups();
  let b = wid / (p_chunks() * p_groups());
  let t0 = c * p_chunk();
  // Uniform bound: no row of the batch sees past offset + S tokens.
  let tEnd = min(min(p_t(), t0 + p_chunk()), ${causal ? "p_offset() + p_s()" : "p_t()"});
  if (lid < RG) { rowMax[lid] = -INF(); rowSum[lid] = 0.0; }
  var acc: array<f32, ${perThread}>;
  for (var ts = t0; ts < tEnd; ts += SUB) {
    for (var e = lid; e < SUB * DC; e += WG) {
      let tk = ts + e / DC;
      cS[e] = select(0.0, cache[(b * p_t() + tk) * DC + e % DC], tk < tEnd);
    }
    for (var e = lid; e < SUB * DR; e += WG) {
      let tk = ts + e / DR;
      pS[e] = select(0.0, kPe[(b * p_t() + tk) * DR + e % DR], tk < tEnd);
    }
    workgroupBarrier();
    for (var e = lid; e < RG * SUB; e += WG) {
      let i = e / SUB;
      let j = e % SUB;
      let r = g * RG + i;
      var score = -INF();
      if (r < p_rows() && ts + j < tEnd && ts + j < visible(r)) {
        let qRow = b * p_rows() + r;
        var dot = 0.0;
        for (var d = 0u; d < DC; d++) { dot += qLat[qRow * DC + d] * cS[j * DC + d]; }
        for (var d = 0u; d < DR; d++) { dot += qPe[qRow * DR + d] * pS[j * DR + d]; }
        score = dot * p_scale();
      }
      sc[e] = score;
    }
    workgroupBarrier();
    if (lid < RG) {
      var mNew = rowMax[lid];
      for (var j = 0u; j < SUB; j++) { mNew = max(mNew, sc[lid * SUB + j]); }
      if (mNew == -INF()) {
        rowCorr[lid] = 1.0;
        for (var j = 0u; j < SUB; j++) { sc[lid * SUB + j] = 0.0; }
      } else {
        let corr = exp(rowMax[lid] - mNew);
        var sum = rowSum[lid] * corr;
        for (var j = 0u; j < SUB; j++) { let pj = exp(sc[lid * SUB + j] - mNew); sc[lid * SUB + j] = pj; sum += pj; }
        rowSum[lid] = sum;
        rowMax[lid] = mNew;
        rowCorr[lid] = corr;
      }
    }
    workgroupBarrier();
    for (var k = 0u; k < ${perThread}u; k++) {
      let e = lid + k * WG;
      if (e < RG * DC) {
        let i = e / DC;
        let d = e % DC;
        var a = acc[k] * rowCorr[i];
        for (var j = 0u; j < SUB; j++) { a += sc[i * SUB + j] * cS[j * DC + d]; }
        acc[k] = a;
      }
    }
    workgroupBarrier();
  }
  let slot = (b * p_groups() + g) * p_chunks() + c;
  for (var k = 0u; k < ${perThread}u; k++) {
    let e = lid + k * WG;
    if (e < RG * DC) { partO[slot * RG * DC + e] = acc[k]; }
  }
  if (lid < RG) {
    partML[(slot * RG + lid) * 2u] = rowMax[lid];
    partML[(slot * RG + lid) * 2u + 1u] = rowSum[lid];
  }`,
      }),
  };
}

function passTwo(dc: number, rg: number) {
  const key = `mla-merge:${dc}:${rg}`;
  return {
    key,
    make: () =>
      program({
        label: key,
        bindings: [{ name: "partO", type: "f32", access: "read" }, { name: "partML", type: "f32", access: "read" }, { name: "out", type: "f32", access: "read_write" }],
        params: new ParamLayout().u32("total").u32("rows").u32("groups").u32("chunks"),
        helpers: `const DC: u32 = ${dc}u;\nconst RG: u32 = ${rg}u;`,
        body: `  if (gid >= p_total()) { return; }
  let d = gid % DC;
  let row = (gid / DC) % p_rows();
  let b = gid / (DC * p_rows());
  let g = row / RG;
  let i = row % RG;
  var m = -INF();
  for (var c = 0u; c < p_chunks(); c++) {
    let slot = (b * p_groups() + g) * p_chunks() + c;
    m = max(m, partML[(slot * RG + i) * 2u]);
  }
  var num = 0.0;
  var den = 0.0;
  if (m != -INF()) {
    for (var c = 0u; c < p_chunks(); c++) {
      let slot = (b * p_groups() + g) * p_chunks() + c;
      let mc = partML[(slot * RG + i) * 2u];
      if (mc == -INF()) { continue; }
      let w = exp(mc - m);
      den += partML[(slot * RG + i) * 2u + 1u] * w;
      num += partO[(slot * RG + i) * DC + d] * w;
    }
  }
  out[gid] = select(0.0, num / den, den > 0.0);`,
      }),
  };
}

export function mlaAttentionKernel(rt: Runtime): KernelImpl<FusedAttrs["MLAAttention"]> {
  return ([qLat, qPe, c, kPe], { scale, causal, queryOffset }) => {
    const [b, h, s, dc] = qLat.shape;
    const [, t, dr] = kPe.shape;
    const rows = h * s;
    const out = rt.alloc("f32", b * rows * dc);
    if (out.size === 0) return [out];
    const plan = planMla(b, rows, t);
    const slots = b * plan.groups * plan.chunks;
    const partO = rt.alloc("f32", slots * plan.rowGroup * dc);
    const partML = rt.alloc("f32", slots * plan.rowGroup * 2);
    const one = passOne(dc, dr, plan.rowGroup, causal);
    rt.run(rt.program(one.key, one.make), [gpuDataOf(qLat), gpuDataOf(qPe), gpuDataOf(c), gpuDataOf(kPe), partO, partML], { rows, s, t, groups: plan.groups, chunk: plan.chunk, chunks: plan.chunks, offset: queryOffset, scale }, slots);
    const two = passTwo(dc, plan.rowGroup);
    rt.run(rt.program(two.key, two.make), [partO, partML, out], { total: out.size, rows, groups: plan.groups, chunks: plan.chunks }, groupsFor(out.size, 64));
    rt.release(partO);
    rt.release(partML);
    return [out];
  };
}
