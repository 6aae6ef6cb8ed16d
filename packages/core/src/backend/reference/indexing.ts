/** Indexing kernels of the reference backend: gather, scatter-add, take/put along an axis, one-hot. */
import { ShapeError } from "../../errors.ts";
import type { KernelImpl } from "../backend.ts";
import type { PrimitiveAttrs } from "../kernels.ts";
import { allocateStorage } from "../../tensor/dtype.ts";
import { sizeOf } from "../../tensor/shape.ts";
import { i32Of, toDataId, valuesOf } from "./buffer.ts";

function checkIndex(kernel: string, index: number, size: number): void {
  if (index < 0 || index >= size) throw new ShapeError(`${kernel}: index ${index} is out of range [0, ${size})`);
}

/** Splits a shape around `axis` into (outer, n, inner) element counts. */
function around(shape: readonly number[], axis: number, span = 1): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis, axis + span)), sizeOf(shape.slice(axis + span))];
}

export const gatherKernel: KernelImpl<PrimitiveAttrs["Gather"]> = ([x, indices], { axis }, [out]) => {
  const src = valuesOf(x);
  const idx = i32Of(indices);
  const [outer, n, inner] = around(x.shape, axis);
  const m = idx.length;
  const dst = allocateStorage(out.dtype, outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const row = idx[j];
      checkIndex("Gather", row, n);
      const from = (o * n + row) * inner;
      const to = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) dst[to + i] = src[from + i];
    }
  }
  return [toDataId(dst)];
};

export const scatterAddKernel: KernelImpl<PrimitiveAttrs["ScatterAdd"]> = ([updates, indices], { axis, size }, [out]) => {
  const src = valuesOf(updates);
  const idx = i32Of(indices);
  const [outer, m, inner] = around(updates.shape, axis, indices.shape.length);
  const dst = allocateStorage(out.dtype, sizeOf(out.shape));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const row = idx[j];
      checkIndex("ScatterAdd", row, size);
      const from = (o * m + j) * inner;
      const to = (o * size + row) * inner;
      for (let i = 0; i < inner; i++) dst[to + i] += src[from + i];
    }
  }
  return [toDataId(dst)];
};

export const takeAlongAxisKernel: KernelImpl<PrimitiveAttrs["TakeAlongAxis"]> = ([x, indices], { axis }, [out]) => {
  const src = valuesOf(x);
  const idx = i32Of(indices);
  const [outer, n, inner] = around(x.shape, axis);
  const m = indices.shape[axis];
  const dst = allocateStorage(out.dtype, idx.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * m + j) * inner + i;
        const row = idx[at];
        checkIndex("TakeAlongAxis", row, n);
        dst[at] = src[(o * n + row) * inner + i];
      }
    }
  }
  return [toDataId(dst)];
};

export const putAlongAxisAddKernel: KernelImpl<PrimitiveAttrs["PutAlongAxisAdd"]> = ([updates, indices], { axis, size }, [out]) => {
  const src = valuesOf(updates);
  const idx = i32Of(indices);
  const [outer, m, inner] = around(updates.shape, axis);
  const dst = allocateStorage(out.dtype, sizeOf(out.shape));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * m + j) * inner + i;
        const row = idx[at];
        checkIndex("PutAlongAxisAdd", row, size);
        dst[(o * size + row) * inner + i] += src[at];
      }
    }
  }
  return [toDataId(dst)];
};

export const oneHotKernel: KernelImpl<PrimitiveAttrs["OneHot"]> = ([indices], { depth }) => {
  const idx = i32Of(indices);
  const dst = new Float32Array(idx.length * depth);
  for (let i = 0; i < idx.length; i++) if (idx[i] >= 0 && idx[i] < depth) dst[i * depth + idx[i]] = 1;
  return [toDataId(dst)];
};
