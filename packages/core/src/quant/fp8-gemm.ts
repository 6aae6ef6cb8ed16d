/**
 * The reference FP8 GEMM with fine-grained scales and limited-precision accumulation (DeepSeek-V3
 * §3.3.2, "Increasing Accumulation Precision"; docs/fp8.md): C = A (M x K) B (N x K)^T where A and B
 * are block-quantised E4M3 (A in 1 x 128 tiles, B in 128 x 128 blocks, or any blocks 128 wide along K).
 *
 * The tensor core's accumulator keeps only ~14 bits: modelled as an f32 whose low mantissa bits are
 * cleared after every addition (round toward zero), `accumulatorMantissaBits` explicit bits kept (13 by
 * default; 23 = plain f32). Every `promotionInterval` elements of K (a divisor of 128; 128 by default:
 * 4 WGMMAs of K = 32 on Hopper) the partial sum is multiplied by both scales and added to a full f32
 * accumulator. `promotionInterval: "never"` keeps the whole reduction in the limited accumulator (each
 * product scaled first), which shows the error the promotion removes.
 *
 * Exact steps (all f32, correctly rounded; another backend reproduces them bit for bit), for each (m, n):
 *   promoted:  acc = 0
 *              for each K slice j of 128, for each window of promotionInterval elements in it:
 *                p = 0; for k in window: p = trunc(fround(p + a[m,k] * b[n,k]))      (FP8 products are exact)
 *                acc = fround(acc + fround(fround(p * sA[m, j]) * sB[n, j]))
 *   never:     acc = 0; for k: acc = trunc(fround(acc + fround(fround(a[m,k] * b[n,k] * sA) * sB)))
 *              (a * b * sA as fround(fround(a * b) * sA))
 * where a, b are decoded E4M3 values, sA/sB the scales of the blocks holding (m, k) and (n, k), and
 * trunc clears the low 23 - accumulatorMantissaBits bits of the f32 encoding. K is processed in order.
 */
import { e4m3ToF32 } from "./fp8.ts";
import { type BlockQuantized, FP8_BLOCK, QuantizationError } from "./block-quant.ts";

export interface Fp8GemmOptions {
  /** Elements of K accumulated in limited precision before promotion to f32: a divisor of 128, or "never". Default 128. */
  promotionInterval?: number | "never";
  /** Explicit mantissa bits the limited accumulator keeps (1..23); default 13 (~14 bits of precision, Hopper FP8 MMA). */
  accumulatorMantissaBits?: number;
}

export const DEFAULT_PROMOTION_INTERVAL = 128;
export const DEFAULT_ACCUMULATOR_MANTISSA_BITS = 13;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds an f32 toward zero to `bits` explicit mantissa bits by clearing the low bits of its encoding. */
export function truncateMantissa(x: number, bits: number): number {
  if (bits >= 23) return Math.fround(x);
  f32[0] = x;
  u32[0] = (u32[0] & ~((1 << (23 - bits)) - 1)) >>> 0;
  return f32[0];
}

/** C [M, N] (row-major f32) = A [M, K] B [N, K]^T on block-quantised E4M3 operands. */
export function fp8Gemm(a: BlockQuantized, b: BlockQuantized, options: Fp8GemmOptions = {}): Float32Array {
  const interval = options.promotionInterval ?? DEFAULT_PROMOTION_INTERVAL;
  const bits = options.accumulatorMantissaBits ?? DEFAULT_ACCUMULATOR_MANTISSA_BITS;
  checkOperands(a, b, interval, bits);
  const m = a.rows;
  const n = b.rows;
  const k = a.cols;
  const av = e4m3ToF32(a.codes);
  const bv = e4m3ToF32(b.codes);
  const slices = Math.ceil(k / FP8_BLOCK);
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const aScales = Math.floor(i / a.blockRows) * slices;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      const bScales = Math.floor(j / b.blockRows) * slices;
      let acc = 0;
      if (interval === "never") {
        for (let s = 0; s < slices; s++) {
          const sa = a.scales[aScales + s];
          const sb = b.scales[bScales + s];
          const end = Math.min(k, (s + 1) * FP8_BLOCK);
          for (let t = s * FP8_BLOCK; t < end; t++) {
            const term = Math.fround(Math.fround(Math.fround(av[aRow + t] * bv[bRow + t]) * sa) * sb);
            acc = truncateMantissa(Math.fround(acc + term), bits);
          }
        }
      } else {
        for (let s = 0; s < slices; s++) {
          const sa = a.scales[aScales + s];
          const sb = b.scales[bScales + s];
          const end = Math.min(k, (s + 1) * FP8_BLOCK);
          for (let w = s * FP8_BLOCK; w < end; w += interval) {
            const wEnd = Math.min(end, w + interval);
            let p = 0;
            for (let t = w; t < wEnd; t++) p = truncateMantissa(Math.fround(p + av[aRow + t] * bv[bRow + t]), bits);
            acc = Math.fround(acc + Math.fround(Math.fround(p * sa) * sb));
          }
        }
      }
      out[i * n + j] = acc;
    }
  }
  return out;
}

function checkOperands(a: BlockQuantized, b: BlockQuantized, interval: number | "never", bits: number): void {
  if (a.cols !== b.cols) throw new QuantizationError(`fp8Gemm: A is [${a.rows}, ${a.cols}] and B is [${b.rows}, ${b.cols}]: both need the same K (C = A B^T)`);
  for (const [name, q] of [["A", a], ["B", b]] as const) {
    if (q.blockCols !== FP8_BLOCK) throw new QuantizationError(`fp8Gemm: ${name} must be quantised in blocks ${FP8_BLOCK} wide along K, got ${q.blockCols}`);
    if (q.codes.length !== q.rows * q.cols) throw new QuantizationError(`fp8Gemm: ${name} has ${q.codes.length} codes for [${q.rows}, ${q.cols}]`);
    const expected = Math.ceil(q.rows / q.blockRows) * Math.ceil(q.cols / q.blockCols);
    if (q.scales.length !== expected) throw new QuantizationError(`fp8Gemm: ${name} has ${q.scales.length} scales, its blocks need ${expected}`);
  }
  if (interval !== "never" && !(Number.isSafeInteger(interval) && interval > 0 && FP8_BLOCK % interval === 0)) {
    throw new QuantizationError(`fp8Gemm: promotionInterval must be a divisor of ${FP8_BLOCK} (the scale block along K) or "never", got ${JSON.stringify(interval)}`);
  }
  if (!(Number.isSafeInteger(bits) && bits >= 1 && bits <= 23)) throw new QuantizationError(`fp8Gemm: accumulatorMantissaBits must be an integer in [1, 23], got ${bits}`);
}
