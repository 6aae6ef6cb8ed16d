/**
 * The registry entries of the tfjs backend: `setBackend("tfjs", { device: "auto" | "gpu" | "node" | "wasm" | "cpu" })`,
 * and one name per device ("tfjs-gpu", "tfjs-node", "tfjs-wasm", "tfjs-cpu") for configs whose backend
 * is a single name (`backend: tfjs-gpu`).
 */
import { BackendError } from "@r1ts/core";
import type { Backend, BackendFactory } from "@r1ts/core";
import { createTfjsBackend } from "./backend.ts";
import type { TfjsBackendOptions } from "./backend.ts";
import { DEVICES } from "./device/devices.ts";
import type { TfjsDevice, TfjsDeviceRequest } from "./device/devices.ts";
import type { DeviceLoader } from "./device/loaders.ts";
import { selectDevice } from "./device/select-device.ts";

export interface TfjsFactoryOptions extends TfjsBackendOptions {
  /** Which tfjs device runs the kernels (default "auto": gpu, node, wasm, cpu, the first that starts). */
  device?: TfjsDeviceRequest;
  /** Starts devices (tests inject one; the default imports the tfjs packages). */
  loader?: DeviceLoader;
}

const KNOWN_OPTIONS = new Set(["device", "checkIndices", "unfused", "loader"]);

/** Picks the device and creates the backend on it (named `name` in messages). */
export async function createTfjsBackendOn(options: TfjsFactoryOptions = {}, name = "tfjs"): Promise<Backend> {
  const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.has(k));
  if (unknown.length > 0) throw new BackendError(`tfjs backend: unknown option(s) ${unknown.join(", ")}; known: ${[...KNOWN_OPTIONS].join(", ")}`);
  if (options.checkIndices !== undefined && typeof options.checkIndices !== "boolean") {
    throw new BackendError(`tfjs backend: option checkIndices must be true or false, got ${JSON.stringify(options.checkIndices)}`);
  }
  const selection = await selectDevice(options.device ?? "auto", options.loader);
  return createTfjsBackend(selection, { checkIndices: options.checkIndices, unfused: options.unfused, name });
}

/** Above the reference backend (0): under "auto", tfjs is preferred to plain TypeScript loops. */
export const TFJS_PRIORITY = 10;

export const tfjsBackendFactory: BackendFactory = {
  name: "tfjs",
  priority: TFJS_PRIORITY,
  create: (options) => createTfjsBackendOn((options ?? {}) as TfjsFactoryOptions),
};

/**
 * "tfjs-<device>": the tfjs backend pinned to one device. Priority -1 keeps them out of the way of
 * `auto` (which takes "tfjs" and, failing that, the reference backend).
 */
export function tfjsDeviceFactory(device: TfjsDevice): BackendFactory {
  const name = `tfjs-${device}`;
  return {
    name,
    priority: -1,
    create: (options) => {
      const given = (options ?? {}) as TfjsFactoryOptions;
      if (given.device !== undefined && given.device !== device) {
        throw new BackendError(`backend "${name}" runs on device "${device}"; got option device "${given.device}" (use backend "tfjs" to choose the device by option)`);
      }
      return createTfjsBackendOn({ ...given, device }, name);
    },
  };
}

export const TFJS_DEVICE_FACTORIES: readonly BackendFactory[] = DEVICES.map(tfjsDeviceFactory);
