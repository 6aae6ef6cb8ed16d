/**
 * Block-wise FP8 quantisation (DeepSeek-V3 §3.3.2, docs/fp8.md): a matrix is cut into blocks of
 * blockRows x blockCols (1 x 128 tiles for activations, 128 x 128 blocks for weights); each block gets
 * one scale s = max(amax, 1e-4) / 448, and its values are stored as E4M3 bytes of x / s.
 * Dequantised: x ~ decode(q) * s.
 *
 * Exact arithmetic (so another backend can match it bit for bit): amax is the largest |x| of the block
 * (an f32); s = fround(max(amax, fround(1e-4)) / 448); q = encodeE4M3(fround(x / s)) (round to nearest even,
 * saturating at +-448). Every division is a correctly rounded f32 division. Edge blocks may be partial.
 */
import { R1tsError } from "../errors.ts";
import { E4M3_MAX, decodeE4M3, encodeE4M3 } from "./fp8.ts";

/** Bad input to a quantiser or an FP8 GEMM (shapes, block sizes, non-finite values, options). */
export class QuantizationError extends R1tsError {}

/** The smallest amax used for a scale, so an all-zero block gets a finite scale. */
export const FP8_AMAX_FLOOR = Math.fround(1e-4);
/** The block edge along the reduction (K) axis, and the weight block edge: 128 in DeepSeek-V3. */
export const FP8_BLOCK = 128;

/** A row-major [rows, cols] matrix of E4M3 bytes with one f32 scale per block. */
export interface BlockQuantized {
  rows: number;
  cols: number;
  /** Block height: 1 for activation tiles, 128 for weight blocks. */
  blockRows: number;
  /** Block width (along the reduction axis): 128. */
  blockCols: number;
  /** E4M3 codes, rows * cols, row-major. */
  codes: Uint8Array;
  /** Scales, ceil(rows / blockRows) x ceil(cols / blockCols), row-major. */
  scales: Float32Array;
}

/** Scale of a block whose largest magnitude is `amax`: max(amax, 1e-4) / 448 in f32. */
export function blockScale(amax: number): number {
  return Math.fround(Math.max(Math.fround(amax), FP8_AMAX_FLOOR) / E4M3_MAX);
}

/** Quantises a row-major [rows, cols] f32 matrix in blocks of blockRows x blockCols. */
export function quantizeBlocks(x: Float32Array, rows: number, cols: number, blockRows: number, blockCols = FP8_BLOCK): BlockQuantized {
  for (const [name, v] of [["rows", rows], ["cols", cols], ["blockRows", blockRows], ["blockCols", blockCols]] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new QuantizationError(`quantizeBlocks: ${name} must be a positive integer, got ${v}`);
  }
  if (x.length !== rows * cols) throw new QuantizationError(`quantizeBlocks: ${x.length} values do not fill [${rows}, ${cols}]`);
  const blocksDown = Math.ceil(rows / blockRows);
  const blocksAcross = Math.ceil(cols / blockCols);
  const codes = new Uint8Array(rows * cols);
  const scales = new Float32Array(blocksDown * blocksAcross);
  for (let bi = 0; bi < blocksDown; bi++) {
    const r0 = bi * blockRows;
    const r1 = Math.min(rows, r0 + blockRows);
    for (let bj = 0; bj < blocksAcross; bj++) {
      const c0 = bj * blockCols;
      const c1 = Math.min(cols, c0 + blockCols);
      let amax = 0;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(x[r * cols + c]));
      if (Number.isNaN(amax) || amax === Infinity) throw new QuantizationError(`quantizeBlocks: block (${bi}, ${bj}) holds a non-finite value`);
      const s = blockScale(amax);
      scales[bi * blocksAcross + bj] = s;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) codes[r * cols + c] = encodeE4M3(Math.fround(x[r * cols + c] / s));
    }
  }
  return { rows, cols, blockRows, blockCols, codes, scales };
}

/** Activation quantisation: 1 x 128 tiles along the last (reduction) axis of x [rows, cols]. */
export function quantizeActivations(x: Float32Array, rows: number, cols: number): BlockQuantized {
  return quantizeBlocks(x, rows, cols, 1, FP8_BLOCK);
}

/** Weight quantisation: 128 x 128 blocks of w [rows (out), cols (in)]. */
export function quantizeWeights(w: Float32Array, rows: number, cols: number): BlockQuantized {
  return quantizeBlocks(w, rows, cols, FP8_BLOCK, FP8_BLOCK);
}

/** The scale of element (r, c). */
export function scaleAt(q: BlockQuantized, r: number, c: number): number {
  return q.scales[Math.floor(r / q.blockRows) * Math.ceil(q.cols / q.blockCols) + Math.floor(c / q.blockCols)];
}

/** decode(q) * s for every element, in f32. */
export function dequantizeBlocks(q: BlockQuantized): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let r = 0; r < q.rows; r++) {
    for (let c = 0; c < q.cols; c++) out[r * q.cols + c] = Math.fround(decodeE4M3(q.codes[r * q.cols + c]) * scaleAt(q, r, c));
  }
  return out;
}
