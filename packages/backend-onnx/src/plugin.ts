/**
 * The package as an r1ts plugin, so a run config can load it by name:
 *   plugins: ["@r1ts/backend-onnx"]
 *   backend: onnx          # or onnx-cuda (ORT's CUDA provider, then CPU for what it lacks)
 * Its setup registers the same backends that importing the package does.
 */
import { definePlugin } from "@r1ts/core";
import { onnxBackendFactory, onnxCudaBackendFactory } from "./factory.ts";

export const onnxPlugin = definePlugin({
  name: "@r1ts/backend-onnx",
  version: "0.1.0",
  coreRange: "^0.1.0",
  description: 'ONNX Runtime backend: "onnx" (CPU) and "onnx-cuda" (ORT\'s CUDA execution provider)',
  setup(api) {
    api.registerBackend(onnxBackendFactory);
    api.registerBackend(onnxCudaBackendFactory);
  },
});
