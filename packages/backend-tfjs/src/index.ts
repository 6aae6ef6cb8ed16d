/**
 * @r1ts/backend-tfjs: core's kernel contract on TensorFlow.js, on tfjs-node-gpu (CUDA), tfjs-node,
 * wasm or cpu. Importing this module registers the backend as "tfjs":
 *
 *   import "@r1ts/backend-tfjs";
 *   await setBackend("tfjs", { device: "auto" });   // or "gpu" | "node" | "wasm" | "cpu"
 *   await setBackend("tfjs-gpu");                    // the same, pinned to one device by name (for configs)
 */
import { registerBackend } from "@r1ts/core";
import { TFJS_DEVICE_FACTORIES, tfjsBackendFactory } from "./factory.ts";

export { createTfjsBackend } from "./backend.ts";
export type { TfjsBackendOptions } from "./backend.ts";
export { createTfjsBackendOn, tfjsBackendFactory, tfjsDeviceFactory, TFJS_DEVICE_FACTORIES, TFJS_PRIORITY } from "./factory.ts";
export type { TfjsFactoryOptions } from "./factory.ts";
export { DEVICES, DEVICE_INFO, TFJS_VERSION, isDeviceRequest } from "./device/devices.ts";
export type { DeviceInfo, TfjsDevice, TfjsDeviceRequest } from "./device/devices.ts";
export { defaultDeviceLoader, importOptional, wasmDistFolder, PackageNotFoundError } from "./device/loaders.ts";
export type { DeviceLoader, ImportModule, LoadedDevice } from "./device/loaders.ts";
export { TfjsDeviceError, formatSelection, selectDevice } from "./device/select-device.ts";
export type { DeviceAttempt, DeviceSelection } from "./device/select-device.ts";
export { TfjsBuffer } from "./buffer.ts";
export { tfjsPlugin } from "./plugin.ts";
export type { Tf } from "./tf.ts";

registerBackend(tfjsBackendFactory);
for (const factory of TFJS_DEVICE_FACTORIES) registerBackend(factory);

/** The default export is the plugin, so a config lists the package under `plugins`. */
export { tfjsPlugin as default } from "./plugin.ts";
