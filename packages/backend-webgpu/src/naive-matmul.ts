/** The naive WGSL GEMM (one thread per output, a plain loop over K): the baseline the tiled GEMM is measured against in bench/. */
import { ShapeError } from "@r1ts/core";
import type { Tensor } from "@r1ts/core";
import type { WebGPUBackend } from "./backend.ts";
import { adoptTensor } from "./adopt-tensor.ts";
import { runGemm } from "./kernels/matmul.ts";

/** a [M, K] x b [K, N] -> [M, N] with the naive kernel (f32 or i32). */
export function naiveMatmul(backend: WebGPUBackend, a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0] || a.dtype !== b.dtype) {
    throw new ShapeError(`naiveMatmul: expected [M, K] x [K, N] of one dtype, got [${a.shape.join(", ")}] ${a.dtype} x [${b.shape.join(", ")}] ${b.dtype}`);
  }
  const shape = [a.shape[0], b.shape[1]];
  return adoptTensor(backend, runGemm(backend.runtime, a, b, false, false, shape, "naive"), shape, a.dtype);
}
