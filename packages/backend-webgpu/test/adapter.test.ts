/**
 * Adapter choice and reporting: a machine without a Vulkan driver gets a BackendError naming the driver
 * to install; the adapter's facts and limits are reported; under `auto` a software adapter ranks below
 * the reference backend while naming "webgpu" still uses it.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { getBackend, lastBackendSelection, setBackend } from "@r1ts/core";
import { WEBGPU_PRIORITY, WEBGPU_SOFTWARE_PRIORITY, probeAdapter, webgpuBackendFactory } from "../src/index.ts";
import type { WebGPUBackend } from "../src/index.ts";

const run = promisify(execFile);
const probe = await probeAdapter();
if (probe.unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu tests, but: ${probe.unavailable}`);

describe("without a Vulkan driver", () => {
  it("fails with a BackendError that says which driver to install", async () => {
    const script = fileURLToPath(new URL("./fixtures/open-device.ts", import.meta.url));
    const env = { ...process.env, VK_DRIVER_FILES: "/nonexistent/icd.json", VK_ICD_FILENAMES: "/nonexistent/icd.json", XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" };
    const { stdout } = await run(process.execPath, ["--import", "tsx", script], { env, timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(result.ok).toBe(false);
    expect(result.name).toBe("BackendError");
    expect(result.message).toMatch(/no adapter/);
    expect(result.message).toMatch(/mesa-vulkan-drivers/);
    expect(result.message).toMatch(/NVIDIA/);
    expect(result.probe.unavailable).toBe(result.message);
  });
});

describe.skipIf(probe.unavailable !== undefined)("with an adapter", () => {
  afterAll(async () => {
    await setBackend("reference");
    (await getBackend("webgpu")).destroy?.();
  });

  it("reports the adapter, its features and limits", async () => {
    const backend = (await getBackend("webgpu")) as WebGPUBackend;
    expect(backend.adapter.software).toBe(probe.software);
    expect(backend.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
    expect(backend.adapter.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    const facts = backend.describe!() as { device: string; pool: object; queue: object };
    expect(facts.device).toContain(backend.adapter.description || backend.adapter.device);
    expect(facts.pool).toHaveProperty("gpuBuffers");
    expect(facts.queue).toHaveProperty("pipelines");
  });

  it("ranks a software adapter below the reference backend under auto; by name it runs", async () => {
    expect(webgpuBackendFactory.priority).toBe(probe.software ? WEBGPU_SOFTWARE_PRIORITY : WEBGPU_PRIORITY);
    if (probe.software) {
      await setBackend("auto");
      expect(lastBackendSelection()?.chosen).not.toBe("webgpu");
    }
    const backend = await setBackend("webgpu");
    expect(backend.name).toBe("webgpu");
  });
});
