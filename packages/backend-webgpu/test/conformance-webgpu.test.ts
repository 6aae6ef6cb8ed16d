/**
 * The core conformance suite on the webgpu backend (Mesa's lavapipe in CI). In CI the suite must run;
 * elsewhere, without a WebGPU adapter, it is skipped with the reason.
 */
import { describeConformance } from "@r1ts/core/testing";
import { createWebGPUBackend, webgpuUnavailableReason } from "../src/index.ts";

const unavailable = await webgpuUnavailableReason();
if (unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu suite, but: ${unavailable}`);

// The fused kernels' gradients run core's composed fallbacks on this backend's primitives, so this one
// suite covers the WGSL fused kernels, the primitives, and the fallbacks composed of them.
describeConformance("webgpu", () => createWebGPUBackend(), { skip: unavailable });
