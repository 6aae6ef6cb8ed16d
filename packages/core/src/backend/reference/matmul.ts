/** Batched matrix multiply of the reference backend, with transposes and broadcast batch dims. */
import type { KernelImpl } from "../backend.ts";
import type { PrimitiveAttrs } from "../kernels.ts";
import { allocateStorage } from "../../tensor/dtype.ts";
import type { TypedArray } from "../../tensor/dtype.ts";
import { sizeOf } from "../../tensor/shape.ts";
import { broadcastIndex } from "./broadcast.ts";
import { toDataId, valuesOf } from "./buffer.ts";

/**
 * C[M,N] = A[M,K] B[K,N] on f64 arrays (monomorphic, so V8 keeps it fast). The body works on 4x4
 * blocks of C held in registers, which reuses each loaded value of A and B four times; edges fall back
 * to a plain dot product.
 */
function gemm(a: Float64Array, b: Float64Array, c: Float64Array, cOff: number, m: number, k: number, n: number): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, bp = j; p < k; p++, bp += n) {
        const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
        const y0 = b[bp], y1 = b[bp + 1], y2 = b[bp + 2], y3 = b[bp + 3];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      const r0 = cOff + i * n + j, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      c[r0] = c00; c[r0 + 1] = c01; c[r0 + 2] = c02; c[r0 + 3] = c03;
      c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
      c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
      c[r3] = c30; c[r3 + 1] = c31; c[r3 + 2] = c32; c[r3 + 3] = c33;
    }
  }
  // Edges: the last m % 4 rows (all columns) and the last n % 4 columns (of the blocked rows).
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a[i * k + p] * b[p * n + j];
      c[cOff + i * n + j] = acc;
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
    // A as [M, K] and B as [K, N], transposing the stored layouts where asked.
    const aMatrix = transposeA ? matrixF64(av, aIndex * m * k, k, m, true) : matrixF64(av, aIndex * m * k, m, k, false);
    const bMatrix = transposeB ? matrixF64(bv, bIndex * k * n, n, k, true) : matrixF64(bv, bIndex * k * n, k, n, false);
    gemm(aMatrix, bMatrix, acc, batch * m * n, m, k, n);
  }
  const dst = allocateStorage(out.dtype, acc.length);
  for (let i = 0; i < acc.length; i++) dst[i] = acc[i];
  return [toDataId(dst)];
};
