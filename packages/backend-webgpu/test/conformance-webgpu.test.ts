/**
 * The core conformance suite on the webgpu backend (Mesa's lavapipe in CI). In CI the suite must run;
 * elsewhere, without a WebGPU adapter, it is skipped with the reason.
 */
import { describeConformance } from "@r1ts/core/testing";
import { createWebGPUBackend, webgpuUnavailableReason } from "../src/index.ts";

const unavailable = await webgpuUnavailableReason();
if (unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu suite, but: ${unavailable}`);

describeConformance("webgpu", () => createWebGPUBackend(), { skip: unavailable });
describeConformance("webgpu-unfused", () => createWebGPUBackend({ fused: false }), { skip: unavailable });
