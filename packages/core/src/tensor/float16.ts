/**
 * IEEE 754 binary16 ("f16") and bfloat16 ("bf16") conversions. Both are stored as 16-bit bit
 * patterns in a Uint16Array (see dtype.ts). Rounding is round-to-nearest, ties-to-even.
 *
 * - f16 (IEEE 754-2008 binary16): 1 sign, 5 exponent bits (bias 15), 10 mantissa bits; subnormals,
 *   +-inf (0x7c00), NaN (encoded as the quiet NaN 0x7e00). Values that round beyond 65504 become inf.
 * - bf16 (the upper half of an IEEE binary32): 1 sign, 8 exponent bits (bias 127), 7 mantissa bits.
 *   Overflow rounds to inf like f32; NaN stays NaN with the quiet bit set.
 *
 * Scalar encoders take a JS number (a double) and round it once, directly; array encoders take
 * Float32Array and work on the f32 bits (equal results, since every f32 is exactly a double).
 */
import { decodeMagnitude, encodeMagnitude, signBit } from "./minifloat.ts";

const F16_INF = 0x7c00;
const F16_NAN = 0x7e00;
const BF16_INF = 0x7f80;
const BF16_NAN = 0x7fc0;

/** Round a number to the nearest f16 and return its bit pattern. */
export function encodeF16(x: number): number {
  if (Number.isNaN(x)) return F16_NAN;
  const sign = signBit(x) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | F16_INF;
  const code = encodeMagnitude(a, 10, 15);
  return sign | (code >= F16_INF ? F16_INF : code);
}

/** The value of an f16 bit pattern. */
export function decodeF16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const magnitude = bits & 0x7fff;
  if (magnitude >= F16_INF) return magnitude === F16_INF ? sign * Infinity : NaN;
  return sign * decodeMagnitude(magnitude, 10, 15);
}

/** Round a number to the nearest bf16 and return its bit pattern. */
export function encodeBF16(x: number): number {
  if (Number.isNaN(x)) return BF16_NAN;
  const sign = signBit(x) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | BF16_INF;
  const code = encodeMagnitude(a, 7, 127);
  return sign | (code >= BF16_INF ? BF16_INF : code);
}

/** The value of a bf16 bit pattern (exact: bf16 is the top half of an f32). */
export function decodeBF16(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0];
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

function f32BitsView(src: Float32Array): Uint32Array {
  return new Uint32Array(src.buffer, src.byteOffset, src.length);
}

/** f32 bits -> f16 bits, round to nearest even. */
function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const man = x & 0x7fffff;
  if (exp === 0xff) return man === 0 ? sign | F16_INF : F16_NAN | sign;
  const e = exp - 112; // re-biased exponent: exp - 127 + 15
  if (e >= 31) return sign | F16_INF;
  if (e <= 0) {
    // Subnormal in f16: value in units of 2^-24 is (man | hidden) >> (14 - e).
    if (e < -10) return sign;
    return sign | shiftRoundEven(man | 0x800000, 14 - e);
  }
  // Normal: a carry out of the mantissa bumps the exponent (and may produce inf, as it should).
  return sign | shiftRoundEven((e << 23) | man, 13);
}

/** v >> shift, rounded to nearest, ties to even (shift in 1..24). */
function shiftRoundEven(v: number, shift: number): number {
  const q = v >>> shift;
  const rem = v & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
}

/** Convert f32 values to f16 bit patterns. */
export function f32ToF16(src: Float32Array): Uint16Array {
  const bits = f32BitsView(src);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16(bits[i]);
  return out;
}

let f16Table: Float32Array | undefined;

/** Convert f16 bit patterns to f32 values (exact). */
export function f16ToF32(src: Uint16Array): Float32Array {
  if (f16Table === undefined) {
    f16Table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) f16Table[b] = decodeF16(b);
  }
  const table = f16Table;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

/** Convert f32 values to bf16 bit patterns: round the f32 bits to their top 16, ties to even. */
export function f32ToBF16(src: Float32Array): Uint16Array {
  const bits = f32BitsView(src);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
      out[i] = (x >>> 16) | 0x0040; // NaN: keep sign and payload top bits, force quiet
    } else {
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

/** Convert bf16 bit patterns to f32 values (exact). */
export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = f32BitsView(out);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}
