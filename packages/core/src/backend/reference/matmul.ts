/** Batched matrix multiply of the reference backend, with transposes and broadcast batch dims. */
import type { KernelImpl } from "../backend.ts";
import type { PrimitiveAttrs } from "../kernels.ts";
import { allocateStorage } from "../../tensor/dtype.ts";
import type { TypedArray } from "../../tensor/dtype.ts";
import { sizeOf } from "../../tensor/shape.ts";
import { broadcastIndex } from "./broadcast.ts";
import { toDataId, valuesOf } from "./buffer.ts";

/**
 * C[M,N] += A[M,K] B[K,N] (or B stored as [N,K] when bTransposed). All three are f64 arrays so the loop
 * stays monomorphic; loop orders keep the innermost loop contiguous in memory.
 */
function gemm(a: Float64Array, b: Float64Array, c: Float64Array, cOff: number, m: number, k: number, n: number, bTransposed: boolean): void {
  if (!bTransposed) {
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      const aRow = i * k;
      for (let p = 0; p < k; p++) {
        const av = a[aRow + p];
        const bRow = p * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[aRow + p] * b[bRow + p];
        c[cOff + i * n + j] += acc;
      }
    }
  }
}

/** One matrix of a batch as f64, transposed if asked. */
function matrixF64(src: TypedArray, off: number, rows: number, cols: number, transpose: boolean): Float64Array {
  const dst = new Float64Array(rows * cols);
  if (!transpose) for (let i = 0; i < rows * cols; i++) dst[i] = src[off + i];
  else for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[off + r * cols + c];
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
    // A as [M, K] (transposed if stored [K, M]); B kept as stored ([K, N], or [N, K] when transposed).
    const aMatrix = transposeA ? matrixF64(av, aIndex * m * k, k, m, true) : matrixF64(av, aIndex * m * k, m, k, false);
    const bMatrix = matrixF64(bv, bIndex * k * n, transposeB ? n : k, transposeB ? k : n, false);
    gemm(aMatrix, bMatrix, acc, batch * m * n, m, k, n, transposeB);
  }
  const dst = allocateStorage(out.dtype, acc.length);
  for (let i = 0; i < acc.length; i++) dst[i] = acc[i];
  return [toDataId(dst)];
};
