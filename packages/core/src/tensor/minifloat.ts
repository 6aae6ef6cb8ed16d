/**
 * Shared arithmetic for small binary floating-point formats (f16, bf16, FP8).
 *
 * A format is described by its mantissa width and exponent bias. `encodeMagnitude` rounds a
 * non-negative finite number to the nearest code of that format (IEEE 754 round-to-nearest,
 * ties-to-even) and returns the unsigned magnitude code `biasedExponent << manBits | mantissa`.
 * The code is not clamped: callers decide what an out-of-range code means (inf, saturation).
 */

/** Exact 2^k for integer k (powers of two are exact doubles from 2^-1074 to 2^1023). */
export function pow2(k: number): number {
  return Math.pow(2, k);
}

/** Round a non-negative double to an integer, ties to even. Exact for v < 2^52. */
export function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The exponent e with 2^e <= a < 2^(e+1), for finite a > 0. */
export function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (pow2(e) > a) e -= 1;
  else if (pow2(e + 1) <= a) e += 1;
  return e;
}

/**
 * Nearest-even magnitude code of `a` (finite, >= 0) in a format with `manBits` mantissa bits and
 * exponent bias `bias`. Subnormals use biased exponent 0. A carry out of the mantissa correctly
 * bumps the exponent, so the result may exceed the format's largest finite code.
 */
export function encodeMagnitude(a: number, manBits: number, bias: number): number {
  const minNormalExp = 1 - bias;
  if (a < pow2(minNormalExp)) {
    // Subnormal: integer multiples of 2^(minNormalExp - manBits). A result of 2^manBits is the
    // smallest normal, whose code is exactly 2^manBits, so no special case is needed.
    return roundHalfEven(a * pow2(manBits - minNormalExp));
  }
  const e = floorLog2(a);
  // Significand including the hidden bit, in [2^manBits, 2^(manBits+1)].
  const significand = roundHalfEven(a * pow2(manBits - e));
  return (e + bias - 1) * pow2(manBits) + significand;
}

/** Value of an unsigned magnitude code (no inf/NaN handling). */
export function decodeMagnitude(code: number, manBits: number, bias: number): number {
  const exponent = Math.floor(code / pow2(manBits));
  const mantissa = code - exponent * pow2(manBits);
  if (exponent === 0) return mantissa * pow2(1 - bias - manBits);
  return (pow2(manBits) + mantissa) * pow2(exponent - bias - manBits);
}

/** True for -0 and negative numbers (the sign bit of the IEEE encoding). */
export function signBit(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}
