import { describe, expect, it } from "vitest";
import {
  decodeE4M3,
  decodeE5M2,
  e4m3ToF32,
  e5m2ToF32,
  encodeE4M3,
  encodeE5M2,
  f32ToE4M3,
  f32ToE5M2,
} from "../src/quant/fp8.ts";
import { decodeF16 } from "../src/tensor/float16.ts";

const codes = Array.from({ length: 256 }, (_, b) => b);
const hex = (b: number) => `0x${b.toString(16).padStart(2, "0")}`;

/** Codes ordered from most negative to most positive: 0xFE..0x80 then 0x00..0x7E (for E4M3). */
function orderedFiniteCodes(maxCode: number): number[] {
  const negatives = Array.from({ length: maxCode + 1 }, (_, i) => 0x80 | (maxCode - i));
  const positives = Array.from({ length: maxCode + 1 }, (_, i) => i);
  return [...negatives, ...positives];
}

/** For each pair of adjacent positive codes, the midpoint rounds to the even code, and nudges decide. */
function checkMidpoints(encode: (x: number) => number, decode: (b: number) => number, maxCode: number) {
  const bad: string[] = [];
  for (let b = 0; b < maxCode; b++) {
    const lo = decode(b);
    const hi = decode(b + 1);
    const mid = (lo + hi) / 2;
    const even = b % 2 === 0 ? b : b + 1;
    const nudge = (hi - lo) / 1024;
    if (encode(mid) !== even) bad.push(`mid ${mid} -> ${hex(encode(mid))}`);
    if (encode(mid - nudge) !== b) bad.push(`below ${mid}`);
    if (encode(mid + nudge) !== b + 1) bad.push(`above ${mid}`);
    if (encode(-mid) !== (0x80 | even)) bad.push(`-mid ${mid}`);
  }
  return bad;
}

describe("E4M3 (e4m3fn), docs/fp8.md", () => {
  const vectors: [number, number, number][] = [
    [0.1, 0x1d, 0.1015625],
    [1.0, 0x38, 1.0],
    [3.3, 0x45, 3.25],
    [240, 0x77, 240],
    [448, 0x7e, 448],
    [500, 0x7e, 448],
    [2 ** -9, 0x01, 2 ** -9],
    [2 ** -10, 0x00, 0],
    [-1.75, 0xbe, -1.75],
  ];
  it.each(vectors)("%s -> byte %s -> %s", (x, byte, decoded) => {
    expect(encodeE4M3(x)).toBe(byte);
    expect(decodeE4M3(byte)).toBe(decoded);
    expect(f32ToE4M3(new Float32Array([x]))[0]).toBe(byte);
  });

  it("saturates out-of-range values and infinities to +-448", () => {
    expect(encodeE4M3(464)).toBe(0x7e); // midpoint 448..480 (480 would be the NaN code)
    expect(encodeE4M3(1e9)).toBe(0x7e);
    expect(encodeE4M3(-1e9)).toBe(0xfe);
    expect(encodeE4M3(Infinity)).toBe(0x7e);
    expect(encodeE4M3(-Infinity)).toBe(0xfe);
  });

  it("has NaN only at 0x7F / 0xFF, and encodes NaN as 0x7F", () => {
    expect(encodeE4M3(NaN)).toBe(0x7f);
    const nanCodes = codes.filter((b) => Number.isNaN(decodeE4M3(b)));
    expect(nanCodes).toEqual([0x7f, 0xff]);
    expect(codes.some((b) => !Number.isFinite(decodeE4M3(b)) && !Number.isNaN(decodeE4M3(b)))).toBe(false);
  });

  it("decodes normals and subnormals by the formulas", () => {
    for (let b = 0; b < 0x7f; b++) {
      const e = b >> 3;
      const m = b & 7;
      const expected = e === 0 ? m * 2 ** -9 : (1 + m / 8) * 2 ** (e - 7);
      expect(decodeE4M3(b)).toBe(expected);
      expect(decodeE4M3(0x80 | b)).toBe(-expected);
    }
  });

  it("keeps the sign of zero: -0 <-> 0x80", () => {
    expect(encodeE4M3(-0)).toBe(0x80);
    expect(encodeE4M3(-(2 ** -11))).toBe(0x80);
    expect(Object.is(decodeE4M3(0x80), -0)).toBe(true);
    expect(encodeE4M3(0)).toBe(0x00);
  });

  it("decode is monotone over the finite codes", () => {
    const values = orderedFiniteCodes(0x7e).map(decodeE4M3);
    for (let i = 1; i < values.length; i++) {
      if (values[i] === 0 && values[i - 1] === 0) continue; // -0 then +0
      expect(values[i]).toBeGreaterThan(values[i - 1]);
    }
  });

  it("encode(decode(b)) === b for every non-NaN code", () => {
    const bad = codes.filter((b) => !Number.isNaN(decodeE4M3(b)) && encodeE4M3(decodeE4M3(b)) !== b);
    expect(bad).toEqual([]);
  });

  it("rounds midpoints to even", () => {
    expect(encodeE4M3(1.0625)).toBe(0x38);
    expect(encodeE4M3(1.1875)).toBe(0x3a);
    expect(encodeE4M3(3 * 2 ** -10)).toBe(0x02);
    expect(checkMidpoints(encodeE4M3, decodeE4M3, 0x7e)).toEqual([]);
  });

  it("array versions match the scalar codec", () => {
    const bytes = Uint8Array.from(codes);
    const values = e4m3ToF32(bytes);
    const bad = codes.filter((b) =>
      Number.isNaN(decodeE4M3(b)) ? !Number.isNaN(values[b]) : values[b] !== decodeE4M3(b),
    );
    expect(bad).toEqual([]);
    const src = new Float32Array([0.1, -3.3, 500, NaN, -Infinity, 2 ** -10]);
    expect(Array.from(f32ToE4M3(src))).toEqual(Array.from(src, encodeE4M3));
  });
});

describe("E5M2", () => {
  it("encodes hand-computed vectors", () => {
    expect(encodeE5M2(1.0)).toBe(0x3c); // e = 15: (15 << 2) | 0
    expect(encodeE5M2(-2.0)).toBe(0xc0);
    expect(encodeE5M2(0.75)).toBe(0x3a); // 1.5 * 2^-1: (14 << 2) | 2
    expect(encodeE5M2(57344)).toBe(0x7b); // 1.75 * 2^15: (30 << 2) | 3
    expect(encodeE5M2(2 ** -14)).toBe(0x04); // smallest normal
    expect(encodeE5M2(2 ** -16)).toBe(0x01); // smallest subnormal
    expect(encodeE5M2(2 ** -17)).toBe(0x00); // tie -> even
    expect(encodeE5M2(1.125)).toBe(0x3c); // tie between 1.0 and 1.25
    expect(encodeE5M2(1.375)).toBe(0x3e); // tie between 1.25 and 1.5
    expect(decodeE5M2(0x3c)).toBe(1);
    expect(decodeE5M2(0x7b)).toBe(57344);
    expect(decodeE5M2(0x01)).toBe(2 ** -16);
    expect(decodeE5M2(0x7c)).toBe(Infinity);
    expect(decodeE5M2(0xfc)).toBe(-Infinity);
  });

  it("saturates by default, and gives inf with { saturate: false }", () => {
    expect(encodeE5M2(1e6)).toBe(0x7b);
    expect(encodeE5M2(-1e6)).toBe(0xfb);
    expect(encodeE5M2(Infinity)).toBe(0x7b);
    expect(encodeE5M2(61440)).toBe(0x7b);
    const ieee = { saturate: false };
    expect(encodeE5M2(Infinity, ieee)).toBe(0x7c);
    expect(encodeE5M2(-Infinity, ieee)).toBe(0xfc);
    expect(encodeE5M2(1e6, ieee)).toBe(0x7c);
    expect(encodeE5M2(61440, ieee)).toBe(0x7c); // midpoint 57344..65536 ties to the even code: inf
    expect(encodeE5M2(60000, ieee)).toBe(0x7b);
    expect(Array.from(f32ToE5M2(new Float32Array([1e6, -Infinity]), ieee))).toEqual([0x7c, 0xfc]);
    expect(Array.from(f32ToE5M2(new Float32Array([1e6, -Infinity])))).toEqual([0x7b, 0xfb]);
  });

  it("NaN codes are 0x7D-0x7F and 0xFD-0xFF; NaN encodes as 0x7F", () => {
    expect(encodeE5M2(NaN)).toBe(0x7f);
    expect(codes.filter((b) => Number.isNaN(decodeE5M2(b)))).toEqual([0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]);
  });

  it("is the top byte of an IEEE f16", () => {
    const bad = codes.filter((b) => {
      const [a, f] = [decodeE5M2(b), decodeF16(b << 8)];
      return Number.isNaN(a) ? !Number.isNaN(f) : !Object.is(a, f);
    });
    expect(bad).toEqual([]);
  });

  it("decode is monotone over the finite codes", () => {
    const values = orderedFiniteCodes(0x7b).map((b) => decodeE5M2(b));
    for (let i = 1; i < values.length; i++) {
      if (values[i] === 0 && values[i - 1] === 0) continue;
      expect(values[i]).toBeGreaterThan(values[i - 1]);
    }
  });

  it("encode(decode(b)) === b for every non-NaN code (inf needs saturate: false)", () => {
    const bad = codes.filter((b) => {
      const v = decodeE5M2(b);
      return !Number.isNaN(v) && encodeE5M2(v, { saturate: false }) !== b;
    });
    expect(bad).toEqual([]);
    expect(encodeE5M2(decodeE5M2(0x7c))).toBe(0x7b); // saturating default clamps inf
  });

  it("rounds midpoints to even", () => {
    expect(checkMidpoints((x) => encodeE5M2(x), decodeE5M2, 0x7b)).toEqual([]);
  });

  it("array versions match the scalar codec", () => {
    const values = e5m2ToF32(Uint8Array.from(codes));
    const bad = codes.filter((b) =>
      Number.isNaN(decodeE5M2(b)) ? !Number.isNaN(values[b]) : !Object.is(values[b], decodeE5M2(b)),
    );
    expect(bad).toEqual([]);
    const src = new Float32Array([0.1, -3.3, 70000, NaN, 2 ** -17]);
    expect(Array.from(f32ToE5M2(src))).toEqual(Array.from(src, (x) => encodeE5M2(x)));
  });
});
