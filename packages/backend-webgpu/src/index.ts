/**
 * @r1ts/backend-webgpu: r1ts on any GPU with a WebGPU driver (Vulkan, Metal, D3D12) through Dawn for
 * Node, with hand-written WGSL kernels. Importing the package registers the backend as "webgpu".
 *
 *   import "@r1ts/backend-webgpu";
 *   await setBackend("webgpu");
 */
import { registerBackend } from "@r1ts/core";
import type { BackendFactory } from "@r1ts/core";
import { createWebGPUBackend } from "./backend.ts";
import type { WebGPUBackendOptions } from "./backend.ts";

export { createWebGPUBackend } from "./backend.ts";
export type { WebGPUBackend, WebGPUBackendOptions } from "./backend.ts";
export { MISSING_ADAPTER_HELP, openDevice, webgpuUnavailableReason } from "./gpu/device.ts";
export type { AdapterReport } from "./gpu/device.ts";

/** Above the reference (0) backend: on a real GPU WebGPU is the fast path. */
export const WEBGPU_PRIORITY = 30;

export const webgpuBackendFactory: BackendFactory = {
  name: "webgpu",
  priority: WEBGPU_PRIORITY,
  create: (options) => createWebGPUBackend(options as WebGPUBackendOptions | undefined),
};

registerBackend(webgpuBackendFactory);

export { adoptTensor, fp8Matmul, uploadBlockQuantized } from "./fp8-matmul.ts";
export type { Fp8Operand } from "./fp8-matmul.ts";
export { naiveMatmul } from "./naive-matmul.ts";
