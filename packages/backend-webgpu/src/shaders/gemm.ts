/**
 * WGSL GEMM programs: C[b] = A[b] B[b] with A (M x K) and B (K x N) read through strides, so one
 * shader serves both transposes; batch dims broadcast through per-operand batch offsets.
 *
 * Tiled: a workgroup of 16 x 16 threads computes a 64 x 64 tile of C, each thread a 4 x 4 block held
 * in registers; K advances 16 at a time through tiles of A and B in workgroup memory (stored as vec4
 * so the inner loop is 2 vec4 loads and 4 vec4 FMAs per k). When the contiguous dim of each operand is
 * a multiple of 4, tiles are loaded with vec4 reads.
 */
import { ParamLayout } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { program } from "../gpu/program.ts";
import { stridedOffset } from "./common.ts";

export const TILE = 64;
export const TILE_K = 16;

export interface GemmVariant {
  transposeA: boolean;
  transposeB: boolean;
  /** Batch rank of the output. */
  batchRank: number;
  /** vec4 loads (needs the contiguous dim of A and B to be multiples of 4). */
  vec4: boolean;
  /** Operands stored as f16 (needs shader-f16); converted to f32 as they are loaded, accumulated in f32. */
  f16?: boolean;
}

export function gemmParams(batchRank: number): ParamLayout {
  return new ParamLayout().u32("m").u32("n").u32("k").u32("batches").u32("tilesN").u32("tilesPerBatch").u32s("batchShape", batchRank).u32s("batchA", batchRank).u32s("batchB", batchRank);
}

/** Loads for one operand: logical (row, col) of a 64 x 16 (A) or 16 x 64 (B) tile into workgroup memory. */
function tileLoads(v: GemmVariant): string {
  // A: logical (m, k); contiguous along k unless transposed. B: logical (k, n); contiguous along n unless transposed.
  const aIndex = v.transposeA ? "k * p_m() + m" : "m * p_k() + k";
  const bIndex = v.transposeB ? "n * p_k() + k" : "k * p_n() + n";
  const loadA = v.vec4
    ? v.transposeA
      ? `  { let k = t0 + lid / 16u; let m = row0 + (lid % 16u) * 4u;
    var val = vec4<f32>(0.0);
    if (k < p_k() && m < p_m()) { val = vec4<f32>(a[(aBase + ${aIndex}) / 4u]); }
    As[(lid / 16u) * 16u + lid % 16u] = val; }`
      : `  { let m = row0 + lid / 4u; let k = t0 + (lid % 4u) * 4u;
    var val = vec4<f32>(0.0);
    if (k < p_k() && m < p_m()) { val = vec4<f32>(a[(aBase + ${aIndex}) / 4u]); }
    let kk = (lid % 4u) * 4u; let mm = lid / 4u;
    As[kk * 16u + mm / 4u][mm % 4u] = val.x; As[(kk + 1u) * 16u + mm / 4u][mm % 4u] = val.y;
    As[(kk + 2u) * 16u + mm / 4u][mm % 4u] = val.z; As[(kk + 3u) * 16u + mm / 4u][mm % 4u] = val.w; }`
    : `  for (var e = 0u; e < 4u; e++) {
    let idx = lid * 4u + e;
    let kk = idx % 16u; let mm = idx / 16u;
    let m = row0 + mm; let k = t0 + kk;
    var val = 0.0;
    if (k < p_k() && m < p_m()) { val = f32(a[aBase + ${aIndex}]); }
    As[kk * 16u + mm / 4u][mm % 4u] = val;
  }`;
  const loadB = v.vec4
    ? v.transposeB
      ? `  { let n = col0 + lid / 4u; let k = t0 + (lid % 4u) * 4u;
    var val = vec4<f32>(0.0);
    if (k < p_k() && n < p_n()) { val = vec4<f32>(b[(bBase + ${bIndex}) / 4u]); }
    let kk = (lid % 4u) * 4u; let nn = lid / 4u;
    Bs[kk * 16u + nn / 4u][nn % 4u] = val.x; Bs[(kk + 1u) * 16u + nn / 4u][nn % 4u] = val.y;
    Bs[(kk + 2u) * 16u + nn / 4u][nn % 4u] = val.z; Bs[(kk + 3u) * 16u + nn / 4u][nn % 4u] = val.w; }`
      : `  { let k = t0 + lid / 16u; let n = col0 + (lid % 16u) * 4u;
    var val = vec4<f32>(0.0);
    if (k < p_k() && n < p_n()) { val = vec4<f32>(b[(bBase + ${bIndex}) / 4u]); }
    Bs[(lid / 16u) * 16u + lid % 16u] = val; }`
    : `  for (var e = 0u; e < 4u; e++) {
    let idx = lid * 4u + e;
    let nn = idx % 64u; let kk = idx / 64u;
    let n = col0 + nn; let k = t0 + kk;
    var val = 0.0;
    if (k < p_k() && n < p_n()) { val = f32(b[bBase + ${bIndex}]); }
    Bs[kk * 16u + nn / 4u][nn % 4u] = val;
  }`;
  return `${loadA}\n${loadB}`;
}

export function tiledGemmProgram(v: GemmVariant, label = "matmul-tiled"): Program {
  const scalar = v.f16 ? "f16" : "f32";
  const elem = v.vec4 ? `vec4<${scalar}>` : scalar;
  const r = v.batchRank;
  return program({
    label,
    bindings: [{ name: "a", type: elem, access: "read" }, { name: "b", type: elem, access: "read" }, { name: "c", type: "f32", access: "read_write" }],
    params: gemmParams(r),
    workgroupSize: 256,
    f16: v.f16 === true,
    helpers: `${stridedOffset("off_a", r, "batchShape", "batchA")}
${stridedOffset("off_b", r, "batchShape", "batchB")}
// A tile as [k][m / 4] and B tile as [k][n / 4], vec4 along m and n.
var<workgroup> As: array<vec4<f32>, ${(TILE * TILE_K) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TILE * TILE_K) / 4}>;`,
    body: `  let batch = wid / p_tilesPerBatch();
  let tile = wid % p_tilesPerBatch();
  let row0 = (tile / p_tilesN()) * ${TILE}u;
  let col0 = (tile % p_tilesN()) * ${TILE}u;
  let aBase = off_a(batch);
  let bBase = off_b(batch);
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<vec4<f32>, 4>;
  for (var t0 = 0u; t0 < p_k(); t0 += ${TILE_K}u) {
${tileLoads(v)}
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk++) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 16u + tx];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  let cBase = batch * p_m() * p_n();
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + ty * 4u + i;
    if (row >= p_m()) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + tx * 4u + j;
      if (col < p_n()) { c[cBase + row * p_n() + col] = acc[i][j]; }
    }
  }`,
  });
}

/** One thread per element of C, a plain loop over K (the baseline in bench/, and the i32 GEMM). */
export function naiveGemmProgram(v: GemmVariant, type: "f32" | "i32", label = "matmul-naive"): Program {
  const r = v.batchRank;
  const aIndex = v.transposeA ? "k * p_m() + row" : "row * p_k() + k";
  const bIndex = v.transposeB ? "col * p_k() + k" : "k * p_n() + col";
  return program({
    label,
    bindings: [{ name: "a", type, access: "read" }, { name: "b", type, access: "read" }, { name: "c", type, access: "read_write" }],
    params: gemmParams(r),
    workgroupSize: 64,
    helpers: `${stridedOffset("off_a", r, "batchShape", "batchA")}\n${stridedOffset("off_b", r, "batchShape", "batchB")}`,
    body: `  let per = p_m() * p_n();
  let batch = gid / max(per, 1u);
  if (batch >= p_batches()) { return; }
  let row = (gid % per) / p_n();
  let col = gid % p_n();
  let aBase = off_a(batch);
  let bBase = off_b(batch);
  var acc = ${type}(0);
  for (var k = 0u; k < p_k(); k++) { acc += a[aBase + ${aIndex}] * b[bBase + ${bIndex}]; }
  c[gid] = acc;`,
  });
}
