/** Batched matrix multiply of the reference backend, with transposes and broadcast batch dims. */
import type { KernelImpl } from "../backend.ts";
import type { PrimitiveAttrs } from "../kernels.ts";
import { allocateStorage } from "../../tensor/dtype.ts";
import type { TypedArray } from "../../tensor/dtype.ts";
import { sizeOf } from "../../tensor/shape.ts";
import { broadcastIndex } from "./broadcast.ts";
import { toDataId, valuesOf } from "./buffer.ts";

/** C[M,N] += A[M,K] B[K,N] (or B^T stored as [N,K]); A is row-major [M,K]. Loop orders keep the inner loop contiguous. */
function gemm(a: TypedArray, aOff: number, b: TypedArray, bOff: number, c: TypedArray, cOff: number, m: number, k: number, n: number, bTransposed: boolean): void {
  if (!bTransposed) {
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      const aRow = aOff + i * k;
      for (let p = 0; p < k; p++) {
        const av = a[aRow + p];
        if (av === 0) continue;
        const bRow = bOff + p * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const aRow = aOff + i * k;
      for (let j = 0; j < n; j++) {
        const bRow = bOff + j * k;
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[aRow + p] * b[bRow + p];
        c[cOff + i * n + j] += acc;
      }
    }
  }
}

function transposeMatrix(src: TypedArray, off: number, rows: number, cols: number): Float64Array {
  const dst = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[off + r * cols + c];
  return dst;
}

export const matMulKernel: KernelImpl<PrimitiveAttrs["MatMul"]> = ([a, b], { transposeA, transposeB }, [out]) => {
  const av = valuesOf(a);
  const bv = valuesOf(b);
  const m = out.shape[out.shape.length - 2];
  const n = out.shape[out.shape.length - 1];
  const k = transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  const batchShape = out.shape.slice(0, -2);
  const batches = sizeOf(batchShape);
  const aBatch = broadcastIndex(a.shape.slice(0, -2), batchShape);
  const bBatch = broadcastIndex(b.shape.slice(0, -2), batchShape);
  // Accumulate in f64 so the reference is the more accurate side of every parity check.
  const acc = new Float64Array(batches * m * n);
  for (let batch = 0; batch < batches; batch++) {
    const aIndex = aBatch === null ? batch : aBatch[batch];
    const bIndex = bBatch === null ? batch : bBatch[batch];
    let aData: TypedArray | Float64Array = av;
    let aOff = aIndex * m * k;
    if (transposeA) {
      aData = transposeMatrix(av, aOff, k, m);
      aOff = 0;
    }
    gemm(aData as TypedArray, aOff, bv, bIndex * k * n, acc as unknown as TypedArray, batch * m * n, m, k, n, transposeB);
  }
  const dst = allocateStorage(out.dtype, acc.length);
  for (let i = 0; i < acc.length; i++) dst[i] = acc[i];
  return [toDataId(dst)];
};
