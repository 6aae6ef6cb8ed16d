import { describe, expect, it } from "vitest";
import {
  bf16ToF32,
  decodeBF16,
  decodeF16,
  encodeBF16,
  encodeF16,
  f16ToF32,
  f32ToBF16,
  f32ToF16,
} from "../src/tensor/float16.ts";

/** Deterministic 32-bit generator (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randomF32s(count: number, seed: number): Float32Array {
  const next = rng(seed);
  const bits = new Uint32Array(count);
  for (let i = 0; i < count; i++) bits[i] = next();
  return new Float32Array(bits.buffer);
}

const isNaNF16 = (b: number) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
const isNaNBF16 = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;

describe("f16 golden bit patterns", () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65519.99, 0x7bff],
    [65520, 0x7c00], // midpoint 65504..65536 ties to even: the even neighbour is inf
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // tie between 0 and 2^-24 -> even (0)
    [2 ** -25 + 2 ** -40, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 units -> 2
    [-(2 ** -26), 0x8000],
    [1 + 2 ** -11, 0x3c00], // tie -> even mantissa 0
    [1 + 3 * 2 ** -11, 0x3c02], // tie -> even mantissa 2
    [1 + 2 ** -11 + 2 ** -20, 0x3c01],
    [0.1, 0x2e66],
    [Math.PI, 0x4248],
  ];
  it.each(cases)("encodeF16(%s) = %s", (x, bits) => {
    expect(encodeF16(x)).toBe(bits);
    expect(f32ToF16(new Float32Array([x]))[0]).toBe(bits);
  });

  it("decodes golden patterns", () => {
    expect(decodeF16(0x3c00)).toBe(1);
    expect(decodeF16(0x7bff)).toBe(65504);
    expect(decodeF16(0x0001)).toBe(2 ** -24);
    expect(decodeF16(0x03ff)).toBe(2 ** -14 - 2 ** -24);
    expect(decodeF16(0xc000)).toBe(-2);
    expect(decodeF16(0x7c00)).toBe(Infinity);
    expect(decodeF16(0xfc00)).toBe(-Infinity);
    expect(Object.is(decodeF16(0x8000), -0)).toBe(true);
    expect(decodeF16(0x7e00)).toBeNaN();
    expect(decodeF16(0x7c01)).toBeNaN();
    expect(decodeF16(0xffff)).toBeNaN();
  });

  it("encodes NaN as a NaN pattern", () => {
    expect(isNaNF16(encodeF16(NaN))).toBe(true);
    expect(isNaNF16(f32ToF16(new Float32Array([NaN]))[0])).toBe(true);
  });
});

describe("f16 properties", () => {
  it("encode(decode(b)) === b for every non-NaN pattern", () => {
    const bad: number[] = [];
    for (let b = 0; b < 65536; b++) {
      if (!isNaNF16(b) && encodeF16(decodeF16(b)) !== b) bad.push(b);
    }
    expect(bad).toEqual([]);
  });

  it("f16ToF32 matches decodeF16 for every pattern, and f32ToF16 inverts it", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const values = f16ToF32(all);
    const back = f32ToF16(values);
    const bad: number[] = [];
    for (let b = 0; b < 65536; b++) {
      const ok = isNaNF16(b)
        ? Number.isNaN(values[b]) && isNaNF16(back[b])
        : values[b] === decodeF16(b) && back[b] === b;
      if (!ok) bad.push(b);
    }
    expect(bad).toEqual([]);
  });

  it("f32ToF16 (bit path) agrees with encodeF16 (arithmetic path) on random f32s", () => {
    const src = randomF32s(50_000, 1);
    // Also values concentrated in the f16 range, where rounding matters.
    const near = randomF32s(50_000, 2).map((v) => (Number.isFinite(v) ? (v % 1) * 70000 : 0));
    for (const arr of [src, near]) {
      const out = f32ToF16(arr);
      const bad: number[] = [];
      for (let i = 0; i < arr.length; i++) {
        const ok = Number.isNaN(arr[i]) ? isNaNF16(out[i]) : out[i] === encodeF16(arr[i]);
        if (!ok) bad.push(arr[i]);
      }
      expect(bad).toEqual([]);
    }
  });

  it("rounds to the nearest representable value", () => {
    const next = rng(3);
    const bad: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = ((next() / 2 ** 32) * 2 - 1) * 2 ** ((next() % 40) - 26);
      const b = encodeF16(x);
      const err = Math.abs(decodeF16(b) - x);
      for (const neighbour of [b - 1, b + 1]) {
        const n = neighbour & 0xffff;
        if (isNaNF16(n) || (n & 0x7fff) === 0x7c00 || (b & 0x8000) !== (n & 0x8000)) continue;
        if (err > Math.abs(decodeF16(n) - x)) bad.push(x);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe("bf16", () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3f80],
    [3, 0x4040],
    [-2, 0xc000],
    [1 + 2 ** -8, 0x3f80], // tie -> even
    [1 + 3 * 2 ** -8, 0x3f82], // tie -> even
    [1 + 2 ** -8 + 2 ** -20, 0x3f81],
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
    [3.4028234663852886e38, 0x7f80], // f32 max rounds up to inf in bf16
    [3.3895313892515355e38, 0x7f7f], // bf16 max
    [2 ** -133, 0x0001], // smallest bf16 subnormal
  ];
  it.each(cases)("encodeBF16(%s) = %s", (x, bits) => {
    expect(encodeBF16(x)).toBe(bits);
    expect(f32ToBF16(new Float32Array([x]))[0]).toBe(bits);
  });

  it("decodes golden patterns", () => {
    expect(decodeBF16(0x3f80)).toBe(1);
    expect(decodeBF16(0x4040)).toBe(3);
    expect(decodeBF16(0xff80)).toBe(-Infinity);
    expect(Object.is(decodeBF16(0x8000), -0)).toBe(true);
    expect(decodeBF16(0x7fc0)).toBeNaN();
  });

  it("keeps NaN a quiet NaN, with its sign", () => {
    expect(isNaNBF16(encodeBF16(NaN))).toBe(true);
    const signalling = new Float32Array(new Uint32Array([0x7f800001, 0xffa00000]).buffer);
    const out = f32ToBF16(signalling);
    expect(out[0] & 0x7fc0).toBe(0x7fc0);
    expect(out[1]).toBe(0xffe0);
    expect(bf16ToF32(out)[0]).toBeNaN();
  });

  it("encode(decode(b)) === b for every non-NaN pattern, array versions included", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const values = bf16ToF32(all);
    const back = f32ToBF16(values);
    const bad: number[] = [];
    for (let b = 0; b < 65536; b++) {
      if (isNaNBF16(b)) continue;
      if (values[b] !== decodeBF16(b) || encodeBF16(decodeBF16(b)) !== b || back[b] !== b) bad.push(b);
    }
    expect(bad).toEqual([]);
  });

  it("f32ToBF16 agrees with encodeBF16 on random f32s", () => {
    const src = randomF32s(50_000, 4);
    const out = f32ToBF16(src);
    const bad: number[] = [];
    for (let i = 0; i < src.length; i++) {
      const ok = Number.isNaN(src[i]) ? isNaNBF16(out[i]) : out[i] === encodeBF16(src[i]);
      if (!ok) bad.push(src[i]);
    }
    expect(bad).toEqual([]);
  });
});
