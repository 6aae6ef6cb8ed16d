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
import { probeAdapter } from "./gpu/device.ts";

export { createWebGPUBackend } from "./backend.ts";
export type { WebGPUBackend, WebGPUBackendOptions } from "./backend.ts";
export { MISSING_ADAPTER_HELP, openDevice, probeAdapter, webgpuUnavailableReason } from "./gpu/device.ts";
export type { AdapterProbe, AdapterReport } from "./gpu/device.ts";

/**
 * Priority under `auto`: above tfjs (10) on a hardware adapter, where WebGPU is the fast path; below the
 * reference backend (0) on a software adapter (Mesa's lavapipe), which is correct but slower than the CPU
 * backends, so `auto` never picks it while something else starts (naming "webgpu" still uses it).
 * The adapter is probed once when the package is imported.
 */
export const WEBGPU_PRIORITY = 30;
export const WEBGPU_SOFTWARE_PRIORITY = -1;

const probe = await probeAdapter();

export const webgpuBackendFactory: BackendFactory = {
  name: "webgpu",
  priority: probe.software ? WEBGPU_SOFTWARE_PRIORITY : WEBGPU_PRIORITY,
  create: (options) => createWebGPUBackend(options as WebGPUBackendOptions | undefined),
};

registerBackend(webgpuBackendFactory);

export { adoptTensor } from "./adopt-tensor.ts";
export { fp8Matmul, uploadBlockQuantized } from "./fp8-matmul.ts";
export type { Fp8Operand } from "./fp8-matmul.ts";
export { naiveMatmul } from "./naive-matmul.ts";
export { hasShaderF16, matmulF16 } from "./f16-matmul.ts";
export type { MatmulF16Options } from "./f16-matmul.ts";
export { quantizeActivationsGpu } from "./fp8-quantize.ts";
