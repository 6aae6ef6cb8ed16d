/**
 * @r1ts/backend-onnx: core's kernel contract and captured graphs on ONNX Runtime (onnxruntime-node).
 * Importing this module registers the backend as "onnx":
 *
 *   import "@r1ts/backend-onnx";
 *   await setBackend("onnx");                                        // CPU, intra-op threads = cores
 *   await setBackend("onnx", { executionProviders: ["cuda", "cpu"] }); // with ORT's CUDA binaries installed
 */
import { type BackendFactory, registerBackend } from "@r1ts/core";
import { type OnnxBackendOptions, createOnnxBackend } from "./backend.ts";

export { createOnnxBackend } from "./backend.ts";
export type { OnnxBackendOptions } from "./backend.ts";
export { lowerTrace } from "./lower-trace.ts";
export type { LoweredGraph } from "./lower-trace.ts";
export { LOWERINGS, NotExpressibleError } from "./lower/index.ts";
export { GraphBuilder, OPSET } from "./graph-builder.ts";
export { cudaProviderInstalled, loadOrt } from "./ort.ts";

/** Above tfjs (10) under `auto`: native multi-threaded kernels, and whole steps as one graph. */
export const ONNX_PRIORITY = 20;

export const onnxBackendFactory: BackendFactory = {
  name: "onnx",
  priority: ONNX_PRIORITY,
  create: (options) => createOnnxBackend(options as OnnxBackendOptions | undefined),
};

registerBackend(onnxBackendFactory);
