/**
 * Opening a WebGPU device through Dawn for Node (the `webgpu` package): the adapter, its limits and
 * features, and a clear error naming the driver to install when there is no adapter.
 */
import { BackendError } from "@r1ts/core";
import { create, globals } from "webgpu";

/** What the backend reports about the adapter it runs on. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software adapter (Mesa's lavapipe / llvmpipe, SwiftShader). */
  software: boolean;
  features: string[];
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupStorageSize: number; maxStorageBuffersPerShaderStage: number; maxComputeInvocationsPerWorkgroup: number };
}

export interface OpenDevice {
  device: GPUDevice;
  report: AdapterReport;
  /** Drops the device and every reference to the GPU object (Node does not exit while one is held). */
  close(): void;
}

export const MISSING_ADAPTER_HELP =
  "WebGPU found no adapter. Dawn for Node needs a Vulkan driver: on a GPU machine install the vendor's driver " +
  "(NVIDIA: libnvidia-gl / the driver's Vulkan ICD, plus libvulkan1); without a GPU install Mesa's CPU driver " +
  "lavapipe from Debian bookworm-backports (apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1). " +
  "Mesa 22 (bookworm's own) is rejected by Dawn.";

let globalsInstalled = false;

/** Installs GPUBufferUsage, GPUMapMode etc. as globals (once). */
function installGlobals(): void {
  if (globalsInstalled) return;
  for (const [k, v] of Object.entries(globals as Record<string, unknown>)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  globalsInstalled = true;
}

/** Requests an adapter and a device with the adapter's largest storage limits and `shader-f16` when present. */
export async function openDevice(powerPreference: GPUPowerPreference = "high-performance"): Promise<OpenDevice> {
  if (process.env.XDG_RUNTIME_DIR === undefined) process.env.XDG_RUNTIME_DIR = "/tmp";
  installGlobals();
  let gpu: GPU | null = create([]);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference });
  } catch (error) {
    gpu = null;
    throw new BackendError(`webgpu: requestAdapter failed (${(error as Error).message}). ${MISSING_ADAPTER_HELP}`);
  }
  if (!adapter) {
    gpu = null;
    throw new BackendError(`webgpu: ${MISSING_ADAPTER_HELP}`);
  }
  const features: GPUFeatureName[] = adapter.features.has("shader-f16") ? ["shader-f16"] : [];
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    },
  });
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const report: AdapterReport = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader/i.test(`${info.device} ${info.description}`),
    features: [...device.features].sort(),
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    },
  };
  adapter = null;
  return {
    device,
    report,
    close: () => {
      device.destroy();
      gpu = null;
    },
  };
}

export interface AdapterProbe {
  /** Why WebGPU cannot run here; undefined when it can. */
  unavailable?: string;
  /** The adapter is a software one (lavapipe): correct, but slower than the CPU backends. */
  software: boolean;
  description?: string;
}

let probed: Promise<AdapterProbe> | undefined;

/** Opens and closes a device once per process to see what adapter this machine has. */
export function probeAdapter(): Promise<AdapterProbe> {
  probed ??= openDevice().then(
    (d) => {
      const { software, description } = d.report;
      d.close();
      return { software, description };
    },
    (error: Error) => ({ unavailable: error.message, software: false }),
  );
  return probed;
}

/** Why WebGPU cannot run here, or undefined when it can (tests skip with this reason; CI must not). */
export async function webgpuUnavailableReason(): Promise<string | undefined> {
  return (await probeAdapter()).unavailable;
}
