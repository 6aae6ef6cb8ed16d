/**
 * The backend packages the CLI knows, registered as lazy loaders: a package is imported only when a
 * command runs a model on one of its backends (or `auto` looks for the best). `inspect`, `rewards`,
 * `--help` and every error before a model runs load none of them; a run on tfjs never loads Dawn.
 */
import { registerBackendLoader } from "@r1ts/core";

let registered = false;

export function registerCliBackends(): void {
  if (registered) return;
  registered = true;
  registerBackendLoader({ description: "tfjs, tfjs-gpu, tfjs-node, tfjs-wasm, tfjs-cpu (@r1ts/backend-tfjs)", provides: (n) => n === "tfjs" || n.startsWith("tfjs-"), load: () => import("@r1ts/backend-tfjs") });
  registerBackendLoader({ description: "webgpu (@r1ts/backend-webgpu)", provides: (n) => n === "webgpu", load: () => import("@r1ts/backend-webgpu") });
  registerBackendLoader({ description: "onnx, onnx-cuda (@r1ts/backend-onnx)", provides: (n) => n === "onnx" || n === "onnx-cuda", load: () => import("@r1ts/backend-onnx") });
}
