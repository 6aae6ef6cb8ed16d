/**
 * Split-K attention over a cache shared by a group of query rows ("flash decoding"): MQA / GQA decode
 * and absorbed MLA. A batch item ("stream") holds T cached tokens with keys K = [A ; B] (B optional) and
 * values V (a separate array, or A itself as in MLA); R query rows (the query heads that share a kv head,
 * times the new queries) read that one cache. A workgroup takes up to 16 rows and a chunk of tokens,
 * so each cached token is read once for all of them; it keeps an online softmax per row (running max,
 * normaliser, output accumulator: FlashAttention's rescaling, Dao et al. 2022, Algorithm 1), and a
 * second pass merges the chunks of each row. Widths are compiled into the shaders.
 */
import type { GpuData } from "../../gpu/gpu-tensor.ts";
import { ParamLayout } from "../../gpu/params.ts";
import type { Binding } from "../../gpu/program.ts";
import { groupsFor, program } from "../../gpu/program.ts";
import type { Runtime } from "../../gpu/runtime.ts";

const WG = 256;
/** Tokens staged in workgroup memory at a time. */
const SUB = 8;
/** Rows per workgroup. */
const MAX_ROW_GROUP = 16;
/** Aim for at least this many workgroups in pass 1 (split the tokens into chunks until then). */
const TARGET_WORKGROUPS = 128;

export interface SplitPlan {
  rowGroup: number;
  groups: number;
  chunk: number;
  chunks: number;
}

/** How pass 1 splits rows and tokens into workgroups. */
export function planSplit(streams: number, rows: number, tokens: number): SplitPlan {
  const rowGroup = Math.min(MAX_ROW_GROUP, Math.max(1, rows));
  const groups = Math.ceil(rows / rowGroup);
  const wanted = Math.max(1, Math.ceil(TARGET_WORKGROUPS / Math.max(1, streams * groups)));
  const chunk = Math.max(SUB, Math.ceil(Math.ceil(Math.max(tokens, 1) / wanted) / SUB) * SUB);
  return { rowGroup, groups, chunk, chunks: Math.max(1, Math.ceil(tokens / chunk)) };
}

export interface SharedKvShape {
  /** Width of key part A (and of the queries' part A). */
  da: number;
  /** Width of key part B (0: none). */
  db: number;
  /** Width of the values; ignored when the values are part A. */
  dv: number;
  /** The values are key part A (absorbed MLA: V = c). */
  valuesAreA: boolean;
  causal: boolean;
  /** Per-row bounds i32 [B, 3] (keyStart, keyEnd, queryStart) are bound (core's kernel contract). */
  bounded: boolean;
}

/**
 * acc = acc * corr + sum_j p_j v_j for this thread's accumulators, written out once per accumulator with
 * constant indices (a loop index would keep them in memory instead of registers).
 */
function accumulate(perThread: number, lanes: number, valuesAreA: boolean): string {
  const vals = valuesAreA ? "aS" : "vS";
  const width = valuesAreA ? "DA" : "DV";
  return Array.from({ length: perThread }, (_, k) =>
    lanes === 4
      ? `    if (lid + ${k * WG}u < RG * DV / 4u) {
      let e = (lid + ${k * WG}u) * 4u;
      let i = e / DV;
      let d = e % DV;
      var a = acc[${k}] * rowCorr[i];
      for (var j = 0u; j < p_sub(); j++) {
        let v = vec4<f32>(${vals}[j * ${width} + d], ${vals}[j * ${width} + d + 1u], ${vals}[j * ${width} + d + 2u], ${vals}[j * ${width} + d + 3u]);
        a += sc[i * SUB + j] * v;
      }
      acc[${k}] = a;
    }`
      : `    if (lid + ${k * WG}u < RG * DV) {
      let e = lid + ${k * WG}u;
      let i = e / DV;
      let d = e % DV;
      var a = acc[${k}] * rowCorr[i];
      for (var j = 0u; j < p_sub(); j++) { a += sc[i * SUB + j] * ${vals}[j * ${width} + d]; }
      acc[${k}] = a;
    }`,
  ).join("\n");
}

function partialProgram(shape: SharedKvShape, rg: number) {
  const { da, db, causal, valuesAreA, bounded } = shape;
  const dv = valuesAreA ? da : shape.dv;
  const key = `split-attention:${da}:${db}:${dv}:${valuesAreA}:${rg}:${causal}:${bounded}`;
  // Accumulators per thread: vec4s of 4 consecutive output dims when dv % 4 == 0, else scalars.
  const lanes = dv % 4 === 0 ? 4 : 1;
  const perThread = Math.ceil((rg * dv) / lanes / WG);
  const accType = lanes === 4 ? "vec4<f32>" : "f32";
  const bindings: Binding[] = [
    { name: "qA", type: "f32", access: "read" },
    ...(db > 0 ? [{ name: "qB", type: "f32", access: "read" as const }] : []),
    { name: "kA", type: "f32", access: "read" },
    ...(db > 0 ? [{ name: "kB", type: "f32", access: "read" as const }] : []),
    ...(valuesAreA ? [] : [{ name: "vals", type: "f32", access: "read" as const }]),
    ...(bounded ? [{ name: "bounds", type: "i32", access: "read" as const }] : []),
    { name: "partO", type: "f32", access: "read_write" },
    { name: "partML", type: "f32", access: "read_write" },
  ];
  const stage = (shared: string, global: string, width: string) => `    for (var e = lid; e < SUB * ${width}; e += WG) {
      let tk = ts + e / ${width};
      ${shared}[e] = select(0.0, ${global}[(st * p_t() + tk) * ${width} + e % ${width}], tk < tEnd);
    }`;
  return {
    key,
    make: () =>
      program({
        label: key,
        bindings,
        // "sub" (= SUB) is a parameter only so that the compiler does not unroll the accumulator loops
        // (lavapipe's compile time grows with every unrolled copy).
        params: new ParamLayout().u32("rows").u32("s").u32("t").u32("groups").u32("chunk").u32("chunks").u32("offset").f32("scale").u32("sub").u32("perBatch"),
        workgroupSize: WG,
        helpers: `const DA: u32 = ${da}u;
const DB: u32 = ${db}u;
const DV: u32 = ${dv}u;
const RG: u32 = ${rg}u;
const SUB: u32 = ${SUB}u;
var<workgroup> aS: array<f32, ${SUB * Math.max(da, 1)}>;
${db > 0 ? `var<workgroup> bS: array<f32, ${SUB * db}>;` : ""}
${valuesAreA ? "" : `var<workgroup> vS: array<f32, ${SUB * Math.max(dv, 1)}>;`}
var<workgroup> sc: array<f32, ${rg * SUB}>;
var<workgroup> rowMax: array<f32, ${rg}>;
var<workgroup> rowSum: array<f32, ${rg}>;
var<workgroup> rowCorr: array<f32, ${rg}>;
${streamBounds(causal, bounded)}`,
        body: `  let c = wid % p_chunks();
  let g = (wid / p_chunks()) % p_groups();
  let st = wid / (p_chunks() * p_groups());
  let t0 = c * p_chunk();
  // Uniform bounds of the stream: no row sees a token before keyFirst(st) or from streamEnd(st) on.
  let tEnd = min(min(p_t(), t0 + p_chunk()), streamEnd(st));
  if (lid < RG) { rowMax[lid] = -INF(); rowSum[lid] = 0.0; }
  var acc: array<${accType}, ${perThread}>;
  for (var ts = max(t0, keyFirst(st)); ts < tEnd; ts += SUB) {
${stage("aS", "kA", "DA")}
${db > 0 ? stage("bS", "kB", "DB") : ""}
${valuesAreA ? "" : stage("vS", "vals", "DV")}
    workgroupBarrier();
    for (var e = lid; e < RG * SUB; e += WG) {
      let i = e / SUB;
      let j = e % SUB;
      let r = g * RG + i;
      var score = -INF();
      if (r < p_rows() && ts + j < tEnd && ts + j < visible(st, r)) {
        let qRow = st * p_rows() + r;
        var dot = 0.0;
        for (var d = 0u; d < DA; d++) { dot += qA[qRow * DA + d] * aS[j * DA + d]; }
        ${db > 0 ? "for (var d = 0u; d < DB; d++) { dot += qB[qRow * DB + d] * bS[j * DB + d]; }" : ""}
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
${accumulate(perThread, lanes, valuesAreA)}
    workgroupBarrier();
  }
  let slot = (st * p_groups() + g) * p_chunks() + c;
${Array.from({ length: perThread }, (_, k) => (lanes === 4
    ? `  if (lid + ${k * WG}u < RG * DV / 4u) { let e = (lid + ${k * WG}u) * 4u; for (var l = 0u; l < 4u; l++) { partO[slot * RG * DV + e + l] = acc[${k}][l]; } }`
    : `  if (lid + ${k * WG}u < RG * DV) { partO[slot * RG * DV + lid + ${k * WG}u] = acc[${k}]; }`)).join("\n")}
  if (lid < RG) {
    partML[(slot * RG + lid) * 2u] = rowMax[lid];
    partML[(slot * RG + lid) * 2u + 1u] = rowSum[lid];
  }`,
      }),
  };
}

/**
 * WGSL of the tokens each row sees: t in [keyFirst(st), visible(st, r)), where query s = r % S of the
 * stream's batch item sits at column offset (+ queryStart with bounds) + s; streamEnd(st) bounds every row.
 */
function streamBounds(causal: boolean, bounded: boolean): string {
  const lines = [`fn batchOf(st: u32) -> u32 { return st / p_perBatch(); }`];
  if (bounded) {
    lines.push(
      `fn clampT(x: i32) -> u32 { return u32(clamp(x, 0, i32(p_t()))); }`,
      `fn keyFirst(st: u32) -> u32 { return clampT(bounds[batchOf(st) * 3u]); }`,
      `fn keyEnd(st: u32) -> u32 { return clampT(bounds[batchOf(st) * 3u + 1u]); }`,
      `fn queryColumn(st: u32) -> i32 { return i32(p_offset()) + bounds[batchOf(st) * 3u + 2u]; }`,
      causal
        ? `fn visible(st: u32, r: u32) -> u32 { return min(keyEnd(st), clampT(queryColumn(st) + i32(r % p_s()) + 1)); }
fn streamEnd(st: u32) -> u32 { return min(keyEnd(st), clampT(queryColumn(st) + i32(p_s()))); }`
        : `fn visible(st: u32, r: u32) -> u32 { return keyEnd(st); }
fn streamEnd(st: u32) -> u32 { return keyEnd(st); }`,
    );
  } else {
    lines.push(
      `fn keyFirst(st: u32) -> u32 { return 0u; }`,
      causal
        ? `fn visible(st: u32, r: u32) -> u32 { return min(p_t(), p_offset() + r % p_s() + 1u); }
fn streamEnd(st: u32) -> u32 { return min(p_t(), p_offset() + p_s()); }`
        : `fn visible(st: u32, r: u32) -> u32 { return p_t(); }
fn streamEnd(st: u32) -> u32 { return p_t(); }`,
    );
  }
  return lines.join("\n");
}

function mergeProgram(dc: number, rg: number) {
  const key = `split-attention-merge:${dc}:${rg}`;
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

export interface SplitAttentionCall {
  /** Streams (batch items x kv heads), each with its own cache. */
  streams: number;
  /** Query rows per stream (query heads sharing the cache x new queries), contiguous per stream. */
  rows: number;
  /** New queries per row group (rows = heads x s; row r is query r % s). */
  s: number;
  /** Cached tokens per stream. */
  t: number;
  scale: number;
  queryOffset: number;
  /** Streams per batch item (kv heads; 1 for MLA): stream st reads row st / perBatch of the bounds. */
  perBatch: number;
}

/**
 * Runs both passes. Buffers: qA [streams, rows, da], qB [streams, rows, db] (db > 0), kA [streams, t, da],
 * kB [streams, t, db] (db > 0), values [streams, t, dv] (unless valuesAreA). Returns [streams, rows, dv].
 */
export function runSplitAttention(rt: Runtime, shape: SharedKvShape, call: SplitAttentionCall, buffers: { qA: GpuData; qB?: GpuData; kA: GpuData; kB?: GpuData; values?: GpuData; bounds?: GpuData }): GpuData {
  const dv = shape.valuesAreA ? shape.da : shape.dv;
  const { streams, rows, s, t, scale, queryOffset, perBatch } = call;
  const out = rt.alloc("f32", streams * rows * dv);
  if (out.size === 0) return out;
  const plan = planSplit(streams, rows, t);
  const slots = streams * plan.groups * plan.chunks;
  const partO = rt.alloc("f32", slots * plan.rowGroup * dv);
  const partML = rt.alloc("f32", slots * plan.rowGroup * 2);
  const one = partialProgram(shape, plan.rowGroup);
  const inputs = [buffers.qA, ...(shape.db > 0 ? [buffers.qB!] : []), buffers.kA, ...(shape.db > 0 ? [buffers.kB!] : []), ...(shape.valuesAreA ? [] : [buffers.values!]), ...(shape.bounded ? [buffers.bounds!] : [])];
  rt.run(rt.program(one.key, one.make), [...inputs, partO, partML], { rows, s, t, groups: plan.groups, chunk: plan.chunk, chunks: plan.chunks, offset: queryOffset, scale, sub: SUB, perBatch }, slots);
  const two = mergeProgram(dv, plan.rowGroup);
  rt.run(rt.program(two.key, two.make), [partO, partML, out], { total: out.size, rows, groups: plan.groups, chunks: plan.chunks }, groupsFor(out.size, 64));
  rt.release(partO);
  rt.release(partML);
  return out;
}
