/**
 * WGSL FP8 GEMM with fine-grained scales (DeepSeek-V3 §3.3.2, docs/fp8.md): C = A (M x K) B (N x K)^T
 * with A and B as E4M3 bytes packed four per u32, A's scales per 1 x 128 tile and B's per blockRows x 128
 * block. Products of E4M3 values are exact in f32; they are summed in a limited-precision accumulator
 * (an f32 whose low mantissa bits are cleared after every addition) and every `interval` elements of K
 * the partial sum is scaled by both scales and added to an f32 accumulator ("promotion"), exactly the
 * steps of core's reference fp8Gemm (quant/fp8-gemm.ts), so the results agree bit for bit.
 *
 * Tiling as the f32 GEMM: 16 x 16 threads, a 64 x 64 tile of C, a 4 x 4 block per thread; K advances 32
 * codes (8 words per row) at a time, decoded once into workgroup memory.
 */
import { ParamLayout } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { program } from "../gpu/program.ts";
import { MINIFLOAT_WGSL } from "./minifloat.ts";

export const FP8_TILE = 64;
const TK = 32;

export interface Fp8GemmVariant {
  /** Rows of A and B start on word boundaries (K % 4 == 0): whole words are loaded. */
  aligned: boolean;
  /** Scale every product before accumulating (no promotion), as the reference's "never". */
  never: boolean;
}

export function fp8GemmProgram(v: Fp8GemmVariant, label: string): Program {
  // One code of operand X at (row, k) -> f32 value (0 outside the matrix).
  const load = (x: string, rows: string) =>
    v.aligned
      ? ""
      : `fn code_${x}(row: u32, k: u32) -> f32 {
  if (row >= ${rows} || k >= p_k()) { return 0.0; }
  let i = row * p_k() + k;
  return bitcast<f32>(e4m3_bits_to_f32((${x}[i / 4u] >> ((i % 4u) * 8u)) & 0xffu));
}`;
  // Each thread loads 2 words (8 codes) of A's 64 x 32 tile and of B's.
  const tileLoad = (x: string, rows: string, base: string, shared: string) =>
    v.aligned
      ? `  for (var e = 0u; e < 2u; e++) {
    let w = lid * 2u + e;
    let r = w / 8u;
    let kw = (w % 8u) * 4u;
    let row = ${base} + r;
    var word = 0u;
    if (row < ${rows} && t0 + kw < p_k()) { word = ${x}[(row * p_k() + t0 + kw) / 4u]; }
    for (var c = 0u; c < 4u; c++) {
      ${shared}[(kw + c) * 16u + r / 4u][r % 4u] = bitcast<f32>(e4m3_bits_to_f32((word >> (c * 8u)) & 0xffu));
    }
  }`
      : `  for (var e = 0u; e < 8u; e++) {
    let idx = lid * 8u + e;
    let r = idx / ${TK}u;
    let kk = idx % ${TK}u;
    ${shared}[kk * 16u + r / 4u][r % 4u] = code_${x}(${base} + r, t0 + kk);
  }`;
  const accumulate = v.never
    ? `      // never: every product scaled first, then summed in the limited accumulator
      let slice = k / 128u;
      let sa = scalesA4(row0 + ty * 4u, slice);
      let sb = scalesB4(col0 + tx * 4u, slice);
      for (var i = 0u; i < 4u; i++) { acc[i] = trunc4(acc[i] + exact4(exact4(av[i] * bv * sa[i]) * sb)); }`
    : `      for (var i = 0u; i < 4u; i++) { part[i] = trunc4(part[i] + av[i] * bv); }
      if ((k + 1u) % p_interval() == 0u || k + 1u == p_k()) {
        let slice = k / 128u;
        let sa = scalesA4(row0 + ty * 4u, slice);
        let sb = scalesB4(col0 + tx * 4u, slice);
        for (var i = 0u; i < 4u; i++) {
          acc[i] = acc[i] + exact4(exact4(part[i] * sa[i]) * sb);
          part[i] = vec4<f32>(0.0);
        }
      }`;
  return program({
    label,
    bindings: [
      { name: "a", type: "u32", access: "read" },
      { name: "sA", type: "f32", access: "read" },
      { name: "b", type: "u32", access: "read" },
      { name: "sB", type: "f32", access: "read" },
      { name: "c", type: "f32", access: "read_write" },
    ],
    params: new ParamLayout().u32("m").u32("n").u32("k").u32("slices").u32("tilesN").u32("blockRowsB").u32("interval").u32("keepMask").u32("zero"),
    workgroupSize: 256,
    helpers: `${MINIFLOAT_WGSL}
${load("a", "p_m()")}
${load("b", "p_n()")}
var<workgroup> As: array<vec4<f32>, ${(TK * FP8_TILE) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TK * FP8_TILE) / 4}>;
// Clears the mantissa bits the limited accumulator does not keep (rounding toward zero).
fn trunc4(x: vec4<f32>) -> vec4<f32> { return bitcast<vec4<f32>>(bitcast<vec4<u32>>(x) & vec4<u32>(p_keepMask())); }
// Forces a rounded f32 value (p_zero() is 0 at run time, unknown to the compiler): no multiply-add fusion.
fn exact4(x: vec4<f32>) -> vec4<f32> { return bitcast<vec4<f32>>(bitcast<vec4<u32>>(x) | vec4<u32>(p_zero())); }
// Scales of 4 rows of A (one 1 x 128 tile each) and of 4 columns of C (rows of B, blocks of blockRowsB).
fn scalesA4(row: u32, slice: u32) -> vec4<f32> {
  var s = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) { if (row + i < p_m()) { s[i] = sA[(row + i) * p_slices() + slice]; } }
  return s;
}
fn scalesB4(col: u32, slice: u32) -> vec4<f32> {
  var s = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) { if (col + i < p_n()) { s[i] = sB[((col + i) / p_blockRowsB()) * p_slices() + slice]; } }
  return s;
}`,
    body: `  let row0 = (wid / p_tilesN()) * ${FP8_TILE}u;
  let col0 = (wid % p_tilesN()) * ${FP8_TILE}u;
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<vec4<f32>, 4>;
  var part: array<vec4<f32>, 4>;
  for (var t0 = 0u; t0 < p_k(); t0 += ${TK}u) {
${tileLoad("a", "p_m()", "row0", "As")}
${tileLoad("b", "p_n()", "col0", "Bs")}
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      let k = t0 + kk;
      if (k >= p_k()) { break; }
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 16u + tx];
${accumulate}
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + ty * 4u + i;
    if (row >= p_m()) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + tx * 4u + j;
      if (col < p_n()) { c[row * p_n() + col] = acc[i][j]; }
    }
  }`,
  });
}
