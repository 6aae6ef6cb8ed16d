/** Layout kernels of the reference backend: transpose, slice, pad, concat. */
import type { KernelImpl } from "../backend.ts";
import type { PrimitiveAttrs } from "../kernels.ts";
import { allocateStorage } from "../../tensor/dtype.ts";
import { sizeOf, stridesOf } from "../../tensor/shape.ts";
import { toDataId, valuesOf } from "./buffer.ts";
import type { DType } from "../../tensor/dtype.ts";
import { encodeBF16, encodeF16 } from "../../tensor/float16.ts";
import { encodeE4M3, encodeE5M2 } from "../../quant/fp8.ts";

/** The pad value as stored: storage float dtypes hold bit patterns, so the value is encoded. */
function storedValue(value: number, dtype: DType): number {
  switch (dtype) {
    case "f16":
      return encodeF16(value);
    case "bf16":
      return encodeBF16(value);
    case "f8e4m3":
      return encodeE4M3(value);
    case "f8e5m2":
      return encodeE5M2(value);
    default:
      return value;
  }
}

/** Calls visit(outFlat, inFlat) for every element of a strided view of the input. */
function forEachStrided(outShape: readonly number[], inStrides: number[], inOffset: number, visit: (o: number, i: number) => void): void {
  const rank = outShape.length;
  const size = sizeOf(outShape);
  const counter = new Array<number>(rank).fill(0);
  let inIndex = inOffset;
  for (let o = 0; o < size; o++) {
    visit(o, inIndex);
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]++;
      inIndex += inStrides[axis];
      if (counter[axis] < outShape[axis]) break;
      inIndex -= inStrides[axis] * counter[axis];
      counter[axis] = 0;
    }
  }
}

export const transposeKernel: KernelImpl<PrimitiveAttrs["Transpose"]> = ([x], { perm }, [out]) => {
  const src = valuesOf(x);
  const strides = stridesOf(x.shape);
  const dst = allocateStorage(out.dtype, src.length);
  forEachStrided(out.shape, perm.map((p) => strides[p]), 0, (o, i) => (dst[o] = src[i]));
  return [toDataId(dst)];
};

export const sliceKernel: KernelImpl<PrimitiveAttrs["Slice"]> = ([x], { begin }, [out]) => {
  const src = valuesOf(x);
  const strides = stridesOf(x.shape);
  const offset = begin.reduce((acc, b, i) => acc + b * strides[i], 0);
  const dst = allocateStorage(out.dtype, sizeOf(out.shape));
  forEachStrided(out.shape, strides, offset, (o, i) => (dst[o] = src[i]));
  return [toDataId(dst)];
};

export const padKernel: KernelImpl<PrimitiveAttrs["Pad"]> = ([x], { paddings, value }, [out]) => {
  const src = valuesOf(x);
  const dst = allocateStorage(out.dtype, sizeOf(out.shape));
  dst.fill(storedValue(value, out.dtype));
  const outStrides = stridesOf(out.shape);
  const offset = paddings.reduce((acc, [before], i) => acc + before * outStrides[i], 0);
  // Walk the input and write into the interior of the output.
  forEachStrided(x.shape, outStrides, offset, (i, o) => (dst[o] = src[i]));
  return [toDataId(dst)];
};

export const concatKernel: KernelImpl<PrimitiveAttrs["Concat"]> = (inputs, { axis }, [out]) => {
  const dst = allocateStorage(out.dtype, sizeOf(out.shape));
  const outStrides = stridesOf(out.shape);
  let at = 0;
  for (const t of inputs) {
    const src = valuesOf(t);
    forEachStrided(t.shape, outStrides, at * outStrides[axis], (i, o) => (dst[o] = src[i]));
    at += t.shape[axis];
  }
  return [toDataId(dst)];
};
