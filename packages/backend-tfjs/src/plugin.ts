/**
 * The package as an r1ts plugin, so a run config can load it by name:
 *   plugins: ["@r1ts/backend-tfjs"]
 *   backend: tfjs-gpu
 * Its setup registers the same backends that importing the package does.
 */
import { definePlugin } from "@r1ts/core";
import { TFJS_DEVICE_FACTORIES, tfjsBackendFactory } from "./factory.ts";

export const tfjsPlugin = definePlugin({
  name: "@r1ts/backend-tfjs",
  version: "0.1.0",
  coreRange: "^0.1.0",
  description: 'TensorFlow.js backend: "tfjs" (device option) and "tfjs-gpu", "tfjs-node", "tfjs-wasm", "tfjs-cpu"',
  setup(api) {
    api.registerBackend(tfjsBackendFactory);
    for (const factory of TFJS_DEVICE_FACTORIES) api.registerBackend(factory);
  },
});
