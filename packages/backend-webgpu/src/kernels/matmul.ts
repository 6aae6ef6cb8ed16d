/** MatMul: the tiled GEMM for f32 (vec4 loads when aligned), a plain loop for i32. */
import type { KernelImpl, PrimitiveAttrs, TensorInfo } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import type { GpuData } from "../gpu/gpu-tensor.ts";
import { groupsFor } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { broadcastStrides, sizeOfShape } from "../shaders/common.ts";
import { TILE, naiveGemmProgram, tiledGemmProgram } from "../shaders/gemm.ts";

export type GemmAlgorithm = "tiled" | "naive";

/** Runs C = op(A) op(B) with batch broadcasting into a new buffer; `algorithm` picks the f32 kernel. */
export function runGemm(rt: Runtime, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, outShape: readonly number[], algorithm: GemmAlgorithm = "tiled"): GpuData {
  const f16 = a.dtype === "f16";
  const r = outShape.length;
  const m = outShape[r - 2];
  const n = outShape[r - 1];
  const k = transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  const batchShape = outShape.slice(0, -2);
  const batches = sizeOfShape(batchShape);
  // f16 operands (shader-f16) accumulate into an f32 result.
  const out = rt.alloc(f16 ? "f32" : a.dtype, sizeOfShape(outShape));
  if (out.size === 0) return out;
  const batchA = broadcastStrides(a.shape.slice(0, -2), batchShape).map((s) => s * m * k);
  const batchB = broadcastStrides(b.shape.slice(0, -2), batchShape).map((s) => s * k * n);
  const tilesN = Math.ceil(n / TILE);
  const tilesPerBatch = Math.ceil(m / TILE) * tilesN;
  const params = { m, n, k, batches, tilesN, tilesPerBatch, batchShape, batchA, batchB };
  const br = batchShape.length;
  if ((a.dtype === "f32" || f16) && algorithm === "tiled") {
    const contiguousA = transposeA ? m : k;
    const contiguousB = transposeB ? k : n;
    const vec4 = contiguousA % 4 === 0 && contiguousB % 4 === 0;
    const key = `gemm-tiled:${transposeA}:${transposeB}:${br}:${vec4}:${f16}`;
    const p = rt.program(key, () => tiledGemmProgram({ transposeA, transposeB, batchRank: br, vec4, f16 }, key));
    rt.run(p, [gpuDataOf(a), gpuDataOf(b), out], params, tilesPerBatch * batches);
  } else {
    const type = a.dtype === "f32" ? "f32" : "i32";
    const key = `gemm-naive:${type}:${transposeA}:${transposeB}:${br}`;
    const p = rt.program(key, () => naiveGemmProgram({ transposeA, transposeB, batchRank: br, vec4: false }, type, key));
    rt.run(p, [gpuDataOf(a), gpuDataOf(b), out], params, groupsFor(out.size, p.workgroupSize));
  }
  return out;
}

export function matMulKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["MatMul"]> {
  return ([a, b], { transposeA, transposeB }, [spec]) => [runGemm(rt, a, b, transposeA, transposeB, spec.shape)];
}
