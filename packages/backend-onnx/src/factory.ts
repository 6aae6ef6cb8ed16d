/** Registry entries: "onnx" (options: executionProviders, intraOpThreads, ...) and "onnx-cuda" for configs. */
import type { BackendFactory } from "@r1ts/core";
import { type OnnxBackendOptions, createOnnxBackend } from "./backend.ts";

/** Above tfjs (10) under `auto`: native multi-threaded kernels, and whole steps as one graph. */
export const ONNX_PRIORITY = 20;

export const onnxBackendFactory: BackendFactory = {
  name: "onnx",
  priority: ONNX_PRIORITY,
  create: (options) => createOnnxBackend(options as OnnxBackendOptions | undefined),
};

/** ORT's CUDA provider first, CPU for the rest; never chosen by `auto` (name it: `backend: onnx-cuda`). */
export const onnxCudaBackendFactory: BackendFactory = {
  name: "onnx-cuda",
  priority: -10,
  create: (options) => createOnnxBackend({ ...(options as OnnxBackendOptions | undefined), executionProviders: ["cuda", "cpu"] }),
};
