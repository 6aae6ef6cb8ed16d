/**
 * Tensors for buffers made outside core's kernel table (the FP8 GEMM, the f16 GEMM, GPU quantisation):
 * core makes tensors only from host values, so for one call `write` hands back the finished buffer
 * instead of uploading the placeholder. (If core's contract grows these kernels, they move there.)
 */
import { allocateStorage, engine } from "@r1ts/core";
import type { DType, Tensor } from "@r1ts/core";
import type { WebGPUBackend } from "./backend.ts";
import type { GpuData } from "./gpu/gpu-tensor.ts";

/** A tensor owning `data`, a buffer a kernel of this backend made. */
export function adoptTensor(backend: WebGPUBackend, data: GpuData, shape: number[], dtype: DType): Tensor {
  const write = backend.write;
  (backend as { write: WebGPUBackend["write"] }).write = () => data;
  try {
    return engine.makeTensor(allocateStorage(dtype, data.size), shape, dtype, backend);
  } finally {
    (backend as { write: WebGPUBackend["write"] }).write = write;
  }
}

