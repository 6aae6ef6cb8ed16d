/** WGSL snippets shared by the kernels. */

/** isnan / isinf on the bits (robust against fast-math assumptions), and a stable sigmoid. */
export const FLOAT_HELPERS = `
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
`;

/**
 * A function `name(flat) -> u32` giving the offset of output element `flat` in an input with
 * strides `p_<strides>(i)`, over an output of shape `p_<shape>(i)` of rank `rank` (0 for a broadcast axis).
 */
export function stridedOffset(name: string, rank: number, shape: string, strides: string): string {
  if (rank === 0) return `fn ${name}(flat: u32) -> u32 { return 0u; }`;
  return `fn ${name}(flat: u32) -> u32 {
  var rem = flat;
  var off = 0u;
  for (var d = 0u; d < ${rank}u; d++) {
    let i = ${rank - 1}u - d;
    let n = p_${shape}(i);
    off += (rem % n) * p_${strides}(i);
    rem /= n;
  }
  return off;
}`;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides of `inShape` seen from `outShape` under numpy broadcasting (0 on broadcast axes). */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const inStrides = stridesOf(inShape);
  const out = new Array<number>(outShape.length).fill(0);
  const lead = outShape.length - inShape.length;
  for (let i = 0; i < inShape.length; i++) out[lead + i] = inShape[i] === 1 ? 0 : inStrides[i];
  return out;
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
