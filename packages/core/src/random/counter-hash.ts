/**
 * A counter-based random generator: the n-th uniform of stream `seed` is a pure function of (seed, n),
 * built from 32-bit multiply/xor-shift mixing only, so every backend (WGSL included) computes the same
 * numbers in parallel without shared state.
 */

/** A 32-bit integer finaliser (xor-shift-multiply, constants from the "lowbias32" family of hashes). */
export function mix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** 32 random bits for counter `n` of stream `seed`. */
export function counterBits(seed: number, n: number): number {
  return mix32((mix32(seed >>> 0) ^ mix32((n + 0x9e3779b9) >>> 0)) >>> 0);
}

/** A uniform float in [0, 1) with 24 random bits (exactly representable in f32). */
export function counterUniform(seed: number, n: number): number {
  return (counterBits(seed, n) >>> 8) / 16777216;
}
