import { describe, expect, it } from "vitest";
import {
  type BlockQuantized,
  FP8_AMAX_FLOOR,
  Generator,
  QuantizationError,
  blockScale,
  dequantizeBlocks,
  fp8,
  fp8Gemm,
  quantizeActivations,
  quantizeBlocks,
  quantizeWeights,
  truncateMantissa,
} from "../src/index.ts";

function randomMatrix(rows: number, cols: number, seed: number, std = 1): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: rows * cols }, () => std * g.normal());
}

/** C = A B^T in f64 from f32 row-major matrices. */
function exactGemm(a: Float32Array, b: Float32Array, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
    c[i * n + j] = s;
  }
  return c;
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** A hand-made operand: the given E4M3 values (exactly representable), one scale per 128-wide block of one row. */
function operand(rows: number[][], scales: number[][]): BlockQuantized {
  const cols = rows[0].length;
  return {
    rows: rows.length,
    cols,
    blockRows: 1,
    blockCols: 128,
    codes: Uint8Array.from(rows.flat().map((v) => fp8.encodeE4M3(v))),
    scales: Float32Array.from(scales.flat()),
  };
}

describe("fast f32 -> E4M3 array encoder", () => {
  it("gives encodeE4M3's bytes for random f32 bit patterns, every midpoint and its neighbours, and the specials", () => {
    const n = 200_000;
    const bits = new Uint32Array(n);
    const g = new Generator(21);
    for (let i = 0; i < n; i++) bits[i] = g.nextU32();
    const values = new Float32Array(bits.buffer);
    const extra: number[] = [448, 449, 464, 479, 480, 1e30, -1e-30, 0, -0, Infinity, -Infinity, NaN, 2 ** -9, 2 ** -10, 3 * 2 ** -10, 0.1, 3.3, 240, 500, -1.75];
    for (let c = 0; c < 0x7e; c++) {
      const mid = (fp8.decodeE4M3(c) + fp8.decodeE4M3(c + 1)) / 2;
      extra.push(mid, -mid, Math.fround(mid * (1 + 2 ** -23)), Math.fround(mid * (1 - 2 ** -23)));
    }
    for (const src of [values, Float32Array.from(extra)]) {
      const fast = fp8.f32ToE4M3(src);
      let mismatches = 0;
      for (let i = 0; i < src.length; i++) if (fast[i] !== fp8.encodeE4M3(src[i])) mismatches++;
      expect(mismatches).toBe(0);
    }
  });
});

describe("block quantisers", () => {
  it("quantise the E4M3 test vectors of docs/fp8.md unchanged when the scale is 1 (amax 448)", () => {
    const x = Float32Array.from([0.1, 1, 3.3, 240, 448, -1.75, 2 ** -9, 2 ** -10]);
    const q = quantizeActivations(x, 1, 8);
    expect(Array.from(q.scales)).toEqual([1]);
    expect(Array.from(q.codes)).toEqual([0x1d, 0x38, 0x45, 0x77, 0x7e, 0xbe, 0x01, 0x00]);
    expect(Array.from(dequantizeBlocks(q))).toEqual([0.1015625, 1, 3.25, 240, 448, -1.75, 2 ** -9, 0]);
  });

  it("scale = max(amax, 1e-4) / 448 in f32", () => {
    expect(blockScale(448)).toBe(1);
    expect(blockScale(3.5)).toBe(1 / 128);
    expect(blockScale(0)).toBe(Math.fround(Math.fround(1e-4) / 448));
    expect(blockScale(1)).toBe(Math.fround(1 / 448));
    expect(FP8_AMAX_FLOOR).toBe(Math.fround(1e-4));
  });

  it("activations: one scale per 1 x 128 tile; weights: one per 128 x 128 block; partial edge blocks", () => {
    const rows = 130;
    const cols = 200;
    const x = randomMatrix(rows, cols, 1);
    x[129 * cols + 199] = 50; // alone in the last tile / block
    const amax = (r0: number, r1: number, c0: number, c1: number) => {
      let m = 0;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) m = Math.max(m, Math.abs(x[r * cols + c]));
      return m;
    };
    const act = quantizeActivations(x, rows, cols);
    expect(act.scales.length).toBe(rows * 2);
    expect(act.scales[129 * 2 + 1]).toBe(Math.fround(50 / 448));
    expect(act.scales[7 * 2]).toBe(Math.fround(amax(7, 8, 0, 128) / 448));
    const w = quantizeWeights(x, rows, cols);
    expect(w.scales.length).toBe(4);
    expect(Array.from(w.scales)).toEqual([amax(0, 128, 0, 128), amax(0, 128, 128, 200), amax(128, 130, 0, 128), 50].map((a) => Math.fround(a / 448)));
    // Each value is within half an E4M3 step of the original: relative 2^-4 for normals, 2^-10 * s below.
    for (const q of [act, w]) {
      const d = dequantizeBlocks(q);
      const s = (r: number, c: number) => q.scales[Math.floor(r / q.blockRows) * 2 + Math.floor(c / 128)];
      let worst = 0; // the largest error as a fraction of its bound
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        worst = Math.max(worst, Math.abs(d[i] - x[i]) / Math.max(Math.abs(x[i]) * 2 ** -4, s(r, c) * 2 ** -10));
      }
      expect(worst).toBeGreaterThan(0.5);
      expect(worst).toBeLessThanOrEqual(1 + 1e-6);
    }
  });

  it("an all-zero block gets the floor scale and zero codes; the block amax maps to 448", () => {
    const x = new Float32Array(256);
    x[200] = -7;
    const q = quantizeActivations(x, 1, 256);
    expect(q.scales[0]).toBe(blockScale(0));
    expect(q.codes.slice(0, 128).every((c) => c === 0)).toBe(true);
    expect(q.codes[200]).toBe(0xfe); // -448
  });

  it("rejects non-finite values and bad shapes", () => {
    expect(() => quantizeActivations(Float32Array.from([1, NaN]), 1, 2)).toThrow(QuantizationError);
    expect(() => quantizeWeights(Float32Array.from([1, Infinity]), 1, 2)).toThrow(/block \(0, 0\) holds a non-finite value/);
    expect(() => quantizeBlocks(new Float32Array(5), 2, 3, 1)).toThrow(/5 values do not fill \[2, 3\]/);
    expect(() => quantizeBlocks(new Float32Array(6), 2, 3, 0)).toThrow(/blockRows must be a positive integer/);
  });
});

describe("fp8Gemm", () => {
  it("truncateMantissa rounds toward zero to the kept bits", () => {
    expect(truncateMantissa(1 + 2 ** -20, 13)).toBe(1);
    expect(truncateMantissa(1 + 2 ** -13, 13)).toBe(1 + 2 ** -13);
    expect(truncateMantissa(-1.99, 1)).toBe(-1.5);
    expect(truncateMantissa(1.75, 1)).toBe(1.5);
    expect(truncateMantissa(0.1, 23)).toBe(Math.fround(0.1));
  });

  it("hand-computed: scales multiply each K slice's partial sum", () => {
    // K = 256: slice 0 of A is [1, 2, 3, 4, 0...] with scale 0.5, slice 1 is [1, 0...] with scale 4; B is all 0.5 with scales 2 and 0.25.
    const rowA = new Array<number>(256).fill(0);
    [1, 2, 3, 4].forEach((v, i) => (rowA[i] = v));
    rowA[128] = 1;
    const a = operand([rowA], [[0.5, 4]]);
    const b = operand([new Array<number>(256).fill(0.5)], [[2, 0.25]]);
    // slice 0: (1+2+3+4)*0.5 = 5, * 0.5 * 2 = 5; slice 1: 1*0.5 = 0.5, * 4 * 0.25 = 0.5
    expect(Array.from(fp8Gemm(a, b))).toEqual([5.5]);
    expect(Array.from(fp8Gemm(a, b, { promotionInterval: "never" }))).toEqual([5.5]);
  });

  it("the limited accumulator drops small addends; promotion keeps them", () => {
    // 1 followed by eight 0.125s: a 2-bit accumulator (steps of 0.25 in [1, 2)) never moves off 1.
    const row = [1, ...new Array<number>(8).fill(0.125)];
    const a = operand([row], [[1]]);
    const b = operand([row.map(() => 1)], [[1]]);
    expect(Array.from(fp8Gemm(a, b, { accumulatorMantissaBits: 2, promotionInterval: "never" }))).toEqual([1]);
    expect(Array.from(fp8Gemm(a, b, { accumulatorMantissaBits: 2, promotionInterval: 128 }))).toEqual([1]);
    expect(Array.from(fp8Gemm(a, b, { accumulatorMantissaBits: 2, promotionInterval: 1 }))).toEqual([2]);
    expect(Array.from(fp8Gemm(a, b, { accumulatorMantissaBits: 3, promotionInterval: "never" }))).toEqual([2]);
  });

  it("with an f32 accumulator it equals the exact product of the dequantised operands (partial blocks too)", () => {
    const [m, n, k] = [3, 130, 200];
    const a = quantizeActivations(randomMatrix(m, k, 2), m, k);
    const b = quantizeWeights(randomMatrix(n, k, 3), n, k);
    const want = exactGemm(dequantizeBlocks(a), dequantizeBlocks(b), m, n, k);
    const got = fp8Gemm(a, b, { accumulatorMantissaBits: 23 });
    expect(relativeError(got, want)).toBeLessThan(1e-6);
  });

  it("at K = 4096, promotion every 128 keeps the 14-bit accumulator's error far below no promotion", () => {
    const [m, n, k] = [2, 4, 4096];
    const xa = randomMatrix(m, k, 4);
    const xb = randomMatrix(n, k, 5);
    const a = quantizeActivations(xa, m, k);
    const b = quantizeWeights(xb, n, k);
    const want = exactGemm(dequantizeBlocks(a), dequantizeBlocks(b), m, n, k);
    const promoted = relativeError(fp8Gemm(a, b), want);
    const never = relativeError(fp8Gemm(a, b, { promotionInterval: "never" }), want);
    expect(promoted).toBeLessThan(2e-3);
    expect(never).toBeGreaterThan(4 * promoted);
  });

  it("rejects mismatched operands and bad options", () => {
    const a = quantizeActivations(new Float32Array(8), 2, 4);
    const b = quantizeWeights(new Float32Array(10), 2, 5);
    expect(() => fp8Gemm(a, b)).toThrow(/same K/);
    const b4 = quantizeWeights(new Float32Array(8), 2, 4);
    expect(() => fp8Gemm(a, b4, { promotionInterval: 96 })).toThrow(/divisor of 128/);
    expect(() => fp8Gemm(a, b4, { accumulatorMantissaBits: 0 })).toThrow(/accumulatorMantissaBits/);
    expect(() => fp8Gemm(a, { ...b4, blockCols: 64 })).toThrow(/128 wide/);
    expect(() => fp8Gemm(a, { ...b4, scales: new Float32Array(3) })).toThrow(/3 scales/);
  });
});
