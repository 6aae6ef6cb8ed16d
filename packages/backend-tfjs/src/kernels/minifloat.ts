/**
 * Small float formats (f16, bf16, E4M3, E5M2) encoded and decoded with tfjs arithmetic, so storage
 * casts stay on the device. A format is 1 sign bit, `e` exponent bits with `bias`, `m` mantissa bits;
 * codes are held as int32 bit patterns. Encoding rounds to nearest, ties to even, like core's codecs
 * (tensor/float16.ts, quant/fp8.ts); NaN encodes as the format's canonical quiet NaN with sign 0.
 *
 *   decode: value = (-1)^s * (e = 0 ? m : 2^M + m) * 2^(max(e, 1) - bias - M)
 *   encode: k = floor(log2 |x|) clamped below at 1 - bias (subnormals), q = 2^(k - M),
 *           code = (k + bias - 1) * 2^M + roundHalfEven(|x| / q)   (a carry into the exponent is right)
 * Powers of two come from an exact table (gather), never from tf.pow, so every step is exact in f32.
 */
import type { DType } from "@r1ts/core";
import type { Tf, TfTensor } from "../tf.ts";

export interface MinifloatFormat {
  expBits: number;
  mantBits: number;
  bias: number;
  /** Top exponent is inf (mantissa 0) / NaN (others), as in IEEE; false for E4M3 (only S.1111.111 is NaN). */
  ieeeSpecials: boolean;
  /** Code of a finite magnitude beyond the largest finite value (inf, or the max finite when saturating). */
  overflowCode: number;
  /** Largest finite code (magnitude). */
  maxFiniteCode: number;
  nanCode: number;
}

export const MINIFLOAT_FORMATS: Partial<Record<DType, MinifloatFormat>> = {
  f16: { expBits: 5, mantBits: 10, bias: 15, ieeeSpecials: true, overflowCode: 0x7c00, maxFiniteCode: 0x7bff, nanCode: 0x7e00 },
  bf16: { expBits: 8, mantBits: 7, bias: 127, ieeeSpecials: true, overflowCode: 0x7f80, maxFiniteCode: 0x7f7f, nanCode: 0x7fc0 },
  // E4M3 (e4m3fn) and E5M2 saturate at their max finite value (docs/fp8.md; core's default for E5M2).
  f8e4m3: { expBits: 4, mantBits: 3, bias: 7, ieeeSpecials: false, overflowCode: 0x7e, maxFiniteCode: 0x7e, nanCode: 0x7f },
  f8e5m2: { expBits: 5, mantBits: 2, bias: 15, ieeeSpecials: true, overflowCode: 0x7b, maxFiniteCode: 0x7b, nanCode: 0x7f },
};

const MIN_EXP = -160;
const MAX_EXP = 130;
let pow2Table: Float32Array | undefined;

/** 2^k for k in [MIN_EXP, MAX_EXP] as f32 (0 below f32's range, inf above): exact where representable. */
function pow2Values(): Float32Array {
  if (!pow2Table) pow2Table = Float32Array.from({ length: MAX_EXP - MIN_EXP + 1 }, (_, i) => Math.pow(2, i + MIN_EXP));
  return pow2Table;
}

/** 2^k for an integer-valued f32 tensor k, looked up exactly. */
function pow2(tf: Tf, k: TfTensor): TfTensor {
  const index = tf.cast(tf.clipByValue(tf.sub(k, MIN_EXP), 0, MAX_EXP - MIN_EXP), "int32");
  return tf.gather(tf.tensor1d(pow2Values(), "float32"), index);
}

/** int32 codes -> f32 values. */
export function decodeMinifloat(tf: Tf, codes: TfTensor, f: MinifloatFormat): TfTensor {
  const M = 2 ** f.mantBits;
  const signBit = 2 ** (f.expBits + f.mantBits);
  const c = tf.cast(codes, "float32");
  const negative = tf.greaterEqual(c, signBit);
  const magnitude = tf.where(negative, tf.sub(c, signBit), c);
  const e = tf.floor(tf.div(magnitude, M));
  const m = tf.sub(magnitude, tf.mul(e, M));
  const significand = tf.where(tf.equal(e, 0), m, tf.add(m, M));
  let value = tf.mul(significand, pow2(tf, tf.sub(tf.maximum(e, 1), f.bias + f.mantBits)));
  if (f.ieeeSpecials) {
    const top = tf.equal(e, 2 ** f.expBits - 1);
    const special = tf.where(tf.equal(m, 0), tf.fill(m.shape, Infinity), tf.fill(m.shape, NaN));
    value = tf.where(top, special, value);
  } else {
    value = tf.where(tf.equal(magnitude, f.nanCode), tf.fill(m.shape, NaN), value);
  }
  return tf.where(negative, tf.neg(value), value);
}

/** f32 values -> int32 codes. */
export function encodeMinifloat(tf: Tf, x: TfTensor, f: MinifloatFormat): TfTensor {
  const M = 2 ** f.mantBits;
  const signBit = 2 ** (f.expBits + f.mantBits);
  const a = tf.abs(x);
  // floor(log2 a), corrected by one either way against exact powers of two (log is not exact).
  const guess = tf.clipByValue(tf.floor(tf.div(tf.log(a), Math.LN2)), MIN_EXP + 1, MAX_EXP - 1);
  const tooBig = tf.greater(pow2(tf, guess), a);
  const tooSmall = tf.lessEqual(pow2(tf, tf.add(guess, 1)), a);
  const k = tf.add(guess, tf.sub(tf.cast(tooSmall, "float32"), tf.cast(tooBig, "float32")));
  const exponent = tf.maximum(k, 1 - f.bias);
  const quantum = pow2(tf, tf.sub(exponent, f.mantBits));
  const rounded = tf.round(tf.div(a, quantum)); // tf.round rounds half to even
  let code = tf.add(tf.mul(tf.add(exponent, f.bias - 1), M), rounded);
  code = tf.where(tf.equal(a, 0), tf.zerosLike(code), code);
  // Overflow and infinity: inf or the saturated max finite code.
  const overflow = tf.logicalOr(tf.greater(code, f.maxFiniteCode), tf.equal(a, Infinity));
  code = tf.where(overflow, tf.fill(code.shape, f.overflowCode), code);
  // The sign bit, -0 included (1 / -0 = -inf).
  const negative = tf.logicalOr(tf.less(x, 0), tf.logicalAnd(tf.equal(x, 0), tf.less(tf.div(1, x), 0)));
  code = tf.where(negative, tf.add(code, signBit), code);
  code = tf.where(tf.isNaN(x), tf.fill(code.shape, f.nanCode), code);
  return tf.cast(code, "int32");
}
