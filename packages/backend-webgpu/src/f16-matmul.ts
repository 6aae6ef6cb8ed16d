/**
 * GEMM on f16 operands where the adapter has `shader-f16`: values are read as f16 (half the bytes of
 * f32), converted as they enter workgroup memory and accumulated in f32; the result is f32. Without
 * `shader-f16` the operands are cast to f32 first and the f32 GEMM runs.
 */
import { ShapeError, cast, engine, matmul } from "@r1ts/core";
import type { Tensor } from "@r1ts/core";
import type { WebGPUBackend } from "./backend.ts";
import { adoptTensor } from "./adopt-tensor.ts";
import { runGemm } from "./kernels/matmul.ts";

export interface MatmulF16Options {
  transposeA?: boolean;
  transposeB?: boolean;
}

/** Whether the f16 GEMM reads f16 directly (the device has `shader-f16`). */
export function hasShaderF16(backend: WebGPUBackend): boolean {
  return backend.adapter.features.includes("shader-f16");
}

/** a [M, K] x b [K, N] (either transposed) on f16 tensors of this backend -> f32 [M, N]. */
export function matmulF16(backend: WebGPUBackend, a: Tensor, b: Tensor, { transposeA = false, transposeB = false }: MatmulF16Options = {}): Tensor {
  if (a.dtype !== "f16" || b.dtype !== "f16" || a.rank !== 2 || b.rank !== 2) {
    throw new ShapeError(`matmulF16: expected two 2-D f16 tensors, got ${a.dtype} [${a.shape.join(", ")}] and ${b.dtype} [${b.shape.join(", ")}]`);
  }
  const [m, ka] = transposeA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transposeB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) throw new ShapeError(`matmulF16: inner dimensions differ (${ka} vs ${kb})`);
  if (!hasShaderF16(backend)) {
    return engine.withBackend(backend, () => engine.tidy(() => matmul(cast(a, "f32"), cast(b, "f32"), { transposeA, transposeB })));
  }
  return adoptTensor(backend, runGemm(backend.runtime, a, b, transposeA, transposeB, [m, n]), [m, n], "f32");
}
