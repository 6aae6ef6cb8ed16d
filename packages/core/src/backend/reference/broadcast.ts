/** Index maps for numpy broadcasting: for each output element, the flat index into an input. */
import { sizeOf, stridesOf } from "../../tensor/shape.ts";

/**
 * Returns null when `inShape` equals `outShape` (identity map), else an Int32Array of input offsets
 * (broadcast axes get stride 0).
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array | null {
  const rank = outShape.length;
  if (inShape.length === rank && inShape.every((d, i) => d === outShape[i])) return null;
  const inStrides = stridesOf(inShape);
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const axis = rank - inShape.length + i;
    strides[axis] = inShape[i] === 1 ? 0 : inStrides[i];
  }
  const size = sizeOf(outShape);
  const map = new Int32Array(size);
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let n = 0; n < size; n++) {
    map[n] = offset;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]++;
      offset += strides[axis];
      if (counter[axis] < outShape[axis]) break;
      offset -= strides[axis] * counter[axis];
      counter[axis] = 0;
    }
  }
  return map;
}
