/** The registry entry of the tfjs backend: `setBackend("tfjs", { device: "auto" | "gpu" | "node" | "wasm" | "cpu" })`. */
import { BackendError } from "@r1ts/core";
import type { Backend, BackendFactory } from "@r1ts/core";
import { createTfjsBackend } from "./backend.ts";
import type { TfjsBackendOptions } from "./backend.ts";
import type { TfjsDeviceRequest } from "./device/devices.ts";
import type { DeviceLoader } from "./device/loaders.ts";
import { selectDevice } from "./device/select-device.ts";

export interface TfjsFactoryOptions extends TfjsBackendOptions {
  /** Which tfjs device runs the kernels (default "auto": gpu, node, wasm, cpu, the first that starts). */
  device?: TfjsDeviceRequest;
  /** Starts devices (tests inject one; the default imports the tfjs packages). */
  loader?: DeviceLoader;
}

const KNOWN_OPTIONS = new Set(["device", "checkIndices", "unfused", "loader"]);

/** Picks the device and creates the backend on it. */
export async function createTfjsBackendOn(options: TfjsFactoryOptions = {}): Promise<Backend> {
  const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.has(k));
  if (unknown.length > 0) throw new BackendError(`tfjs backend: unknown option(s) ${unknown.join(", ")}; known: ${[...KNOWN_OPTIONS].join(", ")}`);
  if (options.checkIndices !== undefined && typeof options.checkIndices !== "boolean") {
    throw new BackendError(`tfjs backend: option checkIndices must be true or false, got ${JSON.stringify(options.checkIndices)}`);
  }
  const selection = await selectDevice(options.device ?? "auto", options.loader);
  return createTfjsBackend(selection, options);
}

/** Above the reference backend (0): under "auto", tfjs is preferred to plain TypeScript loops. */
export const TFJS_PRIORITY = 10;

export const tfjsBackendFactory: BackendFactory = {
  name: "tfjs",
  priority: TFJS_PRIORITY,
  create: (options) => createTfjsBackendOn((options ?? {}) as TfjsFactoryOptions),
};
