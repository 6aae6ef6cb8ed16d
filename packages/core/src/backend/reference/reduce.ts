/** Reductions and scans of the reference backend: sum, max, argmax, cumsum, softmax, log-softmax, top-k. */
import type { KernelImpl } from "../backend.ts";
import type { PrimitiveAttrs } from "../kernels.ts";
import { allocateStorage } from "../../tensor/dtype.ts";
import { sizeOf, stridesOf } from "../../tensor/shape.ts";
import { broadcastIndex } from "./broadcast.ts";
import { f32Of, toDataId, valuesOf } from "./buffer.ts";

/** For each input element, the flat index of the output element it reduces into. */
function reductionTargets(shape: readonly number[], axes: number[]): Int32Array | null {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return broadcastIndex(kept, shape);
}

export const sumKernel: KernelImpl<PrimitiveAttrs["Sum"]> = ([x], { axes }, [out]) => {
  const src = valuesOf(x);
  const acc = new Float64Array(sizeOf(out.shape));
  const target = reductionTargets(x.shape, axes);
  for (let i = 0; i < src.length; i++) acc[target === null ? i : target[i]] += src[i];
  const dst = allocateStorage(out.dtype, acc.length);
  for (let i = 0; i < acc.length; i++) dst[i] = acc[i];
  return [toDataId(dst)];
};

export const maxKernel: KernelImpl<PrimitiveAttrs["Max"]> = ([x], { axes }, [out]) => {
  const src = valuesOf(x);
  const dst = allocateStorage(out.dtype, sizeOf(out.shape));
  dst.fill(-Infinity);
  if (out.dtype === "i32") dst.fill(-2147483648);
  const target = reductionTargets(x.shape, axes);
  for (let i = 0; i < src.length; i++) {
    const o = target === null ? i : target[i];
    const v = src[i];
    if (v > dst[o] || Number.isNaN(v)) dst[o] = v;
  }
  return [toDataId(dst)];
};

/** Visits each 1-D line along `axis`: callback gets the flat index of the line's first element and the stride. */
function forEachLine(shape: readonly number[], axis: number, visit: (start: number, stride: number, line: number) => void): void {
  const stride = stridesOf(shape)[axis];
  const n = shape[axis];
  const outer = sizeOf(shape.slice(0, axis));
  let line = 0;
  for (let o = 0; o < outer; o++) {
    for (let inner = 0; inner < stride; inner++) visit(o * n * stride + inner, stride, line++);
  }
}

export const argMaxKernel: KernelImpl<PrimitiveAttrs["ArgMax"]> = ([x], { axis }, [out]) => {
  const src = valuesOf(x);
  const n = x.shape[axis];
  const dst = new Int32Array(sizeOf(out.shape));
  forEachLine(x.shape, axis, (start, stride, line) => {
    let best = 0;
    let bestValue = src[start];
    for (let j = 1; j < n; j++) {
      const v = src[start + j * stride];
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    dst[line] = best;
  });
  return [toDataId(dst)];
};

export const cumsumKernel: KernelImpl<PrimitiveAttrs["Cumsum"]> = ([x], { axis, exclusive, reverse }, [out]) => {
  const src = valuesOf(x);
  const n = x.shape[axis];
  const dst = allocateStorage(out.dtype, src.length);
  forEachLine(x.shape, axis, (start, stride) => {
    let acc = 0;
    for (let step = 0; step < n; step++) {
      const j = reverse ? n - 1 - step : step;
      const at = start + j * stride;
      if (exclusive) {
        dst[at] = acc;
        acc += src[at];
      } else {
        acc += src[at];
        dst[at] = acc;
      }
    }
  });
  return [toDataId(dst)];
};

/** Softmax over the last axis, max-subtracted for stability, accumulated in f64. */
export const softmaxKernel: KernelImpl<PrimitiveAttrs["Softmax"]> = ([x], _attrs, [out]) => {
  const src = f32Of(x);
  const n = x.shape[x.shape.length - 1];
  const dst = new Float32Array(src.length);
  for (let row = 0; row < src.length; row += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (src[row + j] > max) max = src[row + j];
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(src[row + j] - max);
      dst[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < n; j++) dst[row + j] /= sum;
  }
  void out;
  return [toDataId(dst)];
};

/** log softmax(x) = x - max - log(sum exp(x - max)), over the last axis. */
export const logSoftmaxKernel: KernelImpl<PrimitiveAttrs["LogSoftmax"]> = ([x], _attrs, [out]) => {
  const src = f32Of(x);
  const n = x.shape[x.shape.length - 1];
  const dst = new Float32Array(src.length);
  for (let row = 0; row < src.length; row += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (src[row + j] > max) max = src[row + j];
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(src[row + j] - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < n; j++) dst[row + j] = src[row + j] - lse;
  }
  void out;
  return [toDataId(dst)];
};

/** k largest values along the last axis, descending; equal values keep the lower index first. */
export const topKKernel: KernelImpl<PrimitiveAttrs["TopK"]> = ([x], { k }, [values]) => {
  const src = valuesOf(x);
  const n = x.shape[x.shape.length - 1];
  const rows = n === 0 ? 0 : src.length / n;
  const outValues = allocateStorage(values.dtype, rows * k);
  const outIndices = new Int32Array(rows * k);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((i, j) => compareDescending(src[base + i], src[base + j]) || i - j);
    for (let j = 0; j < k; j++) {
      outValues[r * k + j] = src[base + order[j]];
      outIndices[r * k + j] = order[j];
    }
  }
  return [toDataId(outValues), toDataId(outIndices)];
};

/** Descending order with NaN counted as the largest value (as torch.topk does); 0 for ties. */
function compareDescending(a: number, b: number): number {
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? -1 : 1;
  return a === b ? 0 : a > b ? -1 : 1;
}
