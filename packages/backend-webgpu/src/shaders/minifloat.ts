/**
 * WGSL conversions between f32 and the storage floats (f16, bf16, E4M3, E5M2), on the bits with
 * integer arithmetic, rounding to nearest even exactly as core's codecs do (tensor/float16.ts,
 * quant/fp8.ts; docs/fp8.md). Decoders return f32 bits (so NaN payloads and -0 survive).
 */

export const MINIFLOAT_WGSL = `
// v >> shift rounded to nearest, ties to even (shift in 1..24).
fn shift_round_even(v: u32, shift: u32) -> u32 {
  let q = v >> shift;
  let rem = v & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  return select(q, q + 1u, rem > half || (rem == half && (q & 1u) == 1u));
}

// Magnitude code of the f32 with bits x (finite) in a format with man_bits mantissa bits and exponent
// bias 'bias'; may exceed the format's largest finite code (the caller saturates or makes inf).
fn minifloat_magnitude(x: u32, man_bits: u32, bias: i32) -> u32 {
  let exp = (x >> 23u) & 0xffu;
  let man = x & 0x7fffffu;
  if (exp == 0u) { return 0u; }
  let e = i32(exp) - 127 + bias;
  if (e >= 1) { return shift_round_even((u32(e) << 23u) | man, 23u - man_bits); }
  let shift = (23u - man_bits) + u32(1 - e);
  if (shift > 24u) { return 0u; }
  return shift_round_even(man | 0x800000u, shift);
}

fn f32_to_f16_bits(x: u32) -> u32 {
  let sign = (x >> 16u) & 0x8000u;
  if ((x & 0x7f800000u) == 0x7f800000u) {
    if ((x & 0x7fffffu) != 0u) { return sign | 0x7e00u; }
    return sign | 0x7c00u;
  }
  return sign | min(minifloat_magnitude(x, 10u, 15), 0x7c00u);
}

fn f32_to_bf16_bits(x: u32) -> u32 {
  if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu) != 0u) { return (x >> 16u) | 0x40u; }
  return (x + 0x7fffu + ((x >> 16u) & 1u)) >> 16u;
}

// E4M3 (e4m3fn): saturates at +-448 (0x7e), NaN is 0x7f.
fn f32_to_e4m3_bits(x: u32) -> u32 {
  let sign = (x >> 24u) & 0x80u;
  if ((x & 0x7f800000u) == 0x7f800000u) {
    if ((x & 0x7fffffu) != 0u) { return 0x7fu; }
    return sign | 0x7eu;
  }
  return sign | min(minifloat_magnitude(x, 3u, 7), 0x7eu);
}

// E5M2: saturates at +-57344 (0x7b), NaN is 0x7f.
fn f32_to_e5m2_bits(x: u32) -> u32 {
  let sign = (x >> 24u) & 0x80u;
  if ((x & 0x7f800000u) == 0x7f800000u) {
    if ((x & 0x7fffffu) != 0u) { return 0x7fu; }
    return sign | 0x7bu;
  }
  return sign | min(minifloat_magnitude(x, 2u, 15), 0x7bu);
}

fn signed_bits(v: f32, negative: bool) -> u32 { return bitcast<u32>(select(v, -v, negative)); }

fn f16_bits_to_f32(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) { return signed_bits(f32(m) * 5.9604644775390625e-8, sign != 0u); }
  if (e == 31u) { return sign | 0x7f800000u | (m << 13u); }
  return sign | ((e + 112u) << 23u) | (m << 13u);
}

fn bf16_bits_to_f32(h: u32) -> u32 { return (h & 0xffffu) << 16u; }

fn e4m3_bits_to_f32(b: u32) -> u32 {
  let sign = (b & 0x80u) << 24u;
  if ((b & 0x7fu) == 0x7fu) { return sign | 0x7fc00000u; }
  let e = (b >> 3u) & 0xfu;
  let m = b & 7u;
  if (e == 0u) { return signed_bits(f32(m) * 0.001953125, sign != 0u); }
  return sign | ((e + 120u) << 23u) | (m << 20u);
}

fn e5m2_bits_to_f32(b: u32) -> u32 {
  let sign = (b & 0x80u) << 24u;
  let e = (b >> 2u) & 0x1fu;
  let m = b & 3u;
  if (e == 31u) { return sign | 0x7f800000u | (m << 21u) | select(0u, 0x400000u, m != 0u); }
  if (e == 0u) { return signed_bits(f32(m) * 0.0000152587890625, sign != 0u); }
  return sign | ((e + 112u) << 23u) | (m << 21u);
}
`;
