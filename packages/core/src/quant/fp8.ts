/**
 * FP8 codecs: E4M3 ("e4m3fn") and E5M2, one byte per value, round-to-nearest-even.
 * Follows docs/fp8.md (DeepSeek-V3 §3.3) and the OCP 8-bit floating point spec (OFP8).
 *
 * E4M3 (e4m3fn): S.EEEE.MMM, bias 7; normal (1 + m/8) * 2^(e-7), subnormal (e = 0) m * 2^-9.
 *   Max finite 448 (0x7E). No infinities; NaN only 0x7F / 0xFF. Out-of-range values and +-Infinity
 *   saturate to +-448; NaN encodes as 0x7F.
 * E5M2: S.EEEEE.MM, bias 15 (the top byte of an IEEE f16); +-inf 0x7C / 0xFC, NaN 0x7D-0x7F / 0xFD-0xFF,
 *   max finite 57344 (0x7B). By default values beyond the range, and +-Infinity, saturate to +-57344
 *   (as ONNX Cast with saturate=1 does); `{ saturate: false }` gives IEEE behaviour: overflow and
 *   +-Infinity encode as +-inf. NaN encodes as 0x7F.
 *
 * Signed zero: the sign is kept, so -0 (and negative values that round to zero) encode as 0x80,
 * and 0x80 decodes to -0. Hence encode(decode(b)) === b for every non-NaN code, 0x80 included.
 */
import { decodeMagnitude, encodeMagnitude, roundHalfEven, signBit } from "../tensor/minifloat.ts";

export const E4M3_MAX = 448;
export const E5M2_MAX = 57344;

const E4M3_MAX_CODE = 0x7e;
const E4M3_NAN = 0x7f;
const E5M2_MAX_CODE = 0x7b;
const E5M2_INF = 0x7c;
const E5M2_NAN = 0x7f;

export interface E5M2Options {
  /** Clamp out-of-range values and +-Infinity to +-57344 (default true); false gives +-inf. */
  saturate?: boolean;
}

/** Round a number to the nearest E4M3 value (saturating at +-448) and return its byte. */
export function encodeE4M3(x: number): number {
  if (Number.isNaN(x)) return E4M3_NAN;
  const sign = signBit(x) ? 0x80 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | E4M3_MAX_CODE;
  const code = encodeMagnitude(a, 3, 7);
  return sign | (code > E4M3_MAX_CODE ? E4M3_MAX_CODE : code);
}

/** The value of an E4M3 byte. */
export function decodeE4M3(byte: number): number {
  const magnitude = byte & 0x7f;
  if (magnitude === E4M3_NAN) return NaN;
  const value = decodeMagnitude(magnitude, 3, 7);
  return byte & 0x80 ? -value : value;
}

/** Round a number to the nearest E5M2 value and return its byte (saturating unless told not to). */
export function encodeE5M2(x: number, options: E5M2Options = {}): number {
  if (Number.isNaN(x)) return E5M2_NAN;
  const overflowCode = options.saturate === false ? E5M2_INF : E5M2_MAX_CODE;
  const sign = signBit(x) ? 0x80 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | overflowCode;
  const code = encodeMagnitude(a, 2, 15);
  return sign | (code > E5M2_MAX_CODE ? overflowCode : code);
}

/** The value of an E5M2 byte. */
export function decodeE5M2(byte: number): number {
  const magnitude = byte & 0x7f;
  if (magnitude > E5M2_INF) return NaN;
  const value = magnitude === E5M2_INF ? Infinity : decodeMagnitude(magnitude, 2, 15);
  return byte & 0x80 ? -value : value;
}

function decodeTable(decode: (byte: number) => number): Float32Array {
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = decode(b);
  return table;
}

const E4M3_TABLE = decodeTable(decodeE4M3);
const E5M2_TABLE = decodeTable(decodeE5M2);

function lookup(src: Uint8Array, table: Float32Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

/**
 * Encode f32 values as E4M3 bytes: the same bytes as `encodeE4M3`, computed on the f32 bit patterns
 * (round to nearest even by integer arithmetic), about ten times faster.
 */
export function f32ToE4M3(src: Float32Array): Uint8Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = e4m3FromF32Bits(bits[i]);
  return out;
}

/** 448 as f32 bits, and the smallest normal E4M3 value 2^-6 as f32 bits. */
const F32_448 = 0x43e00000;
const F32_2_POW_MINUS_6 = 0x3c800000;

function e4m3FromF32Bits(b: number): number {
  const sign = (b >>> 24) & 0x80;
  const a = b & 0x7fffffff;
  if (a > 0x7f800000) return E4M3_NAN; // NaN
  if (a >= F32_448) return sign | E4M3_MAX_CODE; // saturate (448 itself included: its code is the max)
  if (a >= F32_2_POW_MINUS_6) {
    // Normal: drop 20 of the 23 mantissa bits with round-to-nearest-even; a carry bumps the exponent.
    const rounded = (a + 0x7ffff + ((a >>> 20) & 1)) >>> 20;
    const code = rounded - ((127 - 7) << 3);
    return sign | (code > E4M3_MAX_CODE ? E4M3_MAX_CODE : code);
  }
  // Subnormal (and zero): integer multiples of 2^-9; the scaling by 512 is exact.
  f32Scratch[0] = a;
  return sign | roundHalfEven(f32View[0] * 512);
}

const f32View = new Float32Array(1);
const f32Scratch = new Uint32Array(f32View.buffer);

/** Decode E4M3 bytes to f32 values (exact). */
export function e4m3ToF32(src: Uint8Array): Float32Array {
  return lookup(src, E4M3_TABLE);
}

/** Encode f32 values as E5M2 bytes. */
export function f32ToE5M2(src: Float32Array, options: E5M2Options = {}): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = encodeE5M2(src[i], options);
  return out;
}

/** Decode E5M2 bytes to f32 values (exact). */
export function e5m2ToF32(src: Uint8Array): Float32Array {
  return lookup(src, E5M2_TABLE);
}
