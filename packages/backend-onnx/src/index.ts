/**
 * @r1ts/backend-onnx: core's kernel contract and captured graphs on ONNX Runtime (onnxruntime-node).
 * Importing this module registers the backends "onnx" and "onnx-cuda":
 *
 *   import "@r1ts/backend-onnx";
 *   await setBackend("onnx");                                          // CPU, intra-op threads = cores
 *   await setBackend("onnx", { executionProviders: ["cuda", "cpu"] }); // with ORT's CUDA binaries installed
 */
import { registerBackend } from "@r1ts/core";
import { onnxBackendFactory, onnxCudaBackendFactory } from "./factory.ts";

export { createOnnxBackend } from "./backend.ts";
export type { OnnxBackendOptions } from "./backend.ts";
export { ONNX_PRIORITY, onnxBackendFactory, onnxCudaBackendFactory } from "./factory.ts";
export { lowerTrace } from "./lower-trace.ts";
export type { LoweredGraph } from "./lower-trace.ts";
export { LOWERINGS, NotExpressibleError } from "./lower/index.ts";
export { GraphBuilder, OPSET } from "./graph-builder.ts";
export { cudaProviderInstalled, loadOrt } from "./ort.ts";
export { onnxPlugin } from "./plugin.ts";

registerBackend(onnxBackendFactory);
registerBackend(onnxCudaBackendFactory);

/** The default export is the plugin, so a config lists the package under `plugins`. */
export { onnxPlugin as default } from "./plugin.ts";
