/**
 * The devices a tfjs backend can run on, best first, and what each needs. `auto` tries them in this
 * order; an explicit device that cannot start fails with the install hint below.
 */
export const DEVICES = ["gpu", "node", "wasm", "cpu"] as const;
export type TfjsDevice = (typeof DEVICES)[number];
export type TfjsDeviceRequest = TfjsDevice | "auto";

/** The version of tfjs this package is built and tested with; the native packages must match it. */
export const TFJS_VERSION = "4.22.0";

export interface DeviceInfo {
  /** What it runs on, in words. */
  description: string;
  /** The npm package that provides it. */
  packageName: string;
  /** The tfjs backend name it registers. */
  tfBackendName: string;
  /** What to do when it is not installed or does not start. */
  installHint: string;
}

const FALLBACK = `Or fall back: set the backend option device to "wasm" (fast, any machine), "cpu" (plain JavaScript), or "auto" (the best one that starts).`;

export const DEVICE_INFO: Record<TfjsDevice, DeviceInfo> = {
  gpu: {
    description: "TensorFlow C library with CUDA (NVIDIA GPU), through @tensorflow/tfjs-node-gpu",
    packageName: "@tensorflow/tfjs-node-gpu",
    tfBackendName: "tensorflow",
    installHint:
      `Install it in your project: npm install @tensorflow/tfjs-node-gpu@${TFJS_VERSION} (its install script downloads libtensorflow 2.9.1 with GPU support). ` +
      `It needs Linux x86-64, an NVIDIA driver, CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0 and libcudnn.so.8 on LD_LIBRARY_PATH). ` +
      `Without a GPU, device "node" (@tensorflow/tfjs-node) runs the same TensorFlow library on the CPU. ${FALLBACK}`,
  },
  node: {
    description: "TensorFlow C library on the CPU, through @tensorflow/tfjs-node (or tfjs-node-gpu without a GPU)",
    packageName: "@tensorflow/tfjs-node",
    tfBackendName: "tensorflow",
    installHint: `Install it in your project: npm install @tensorflow/tfjs-node@${TFJS_VERSION} (its install script downloads libtensorflow 2.9.1 for the CPU). ${FALLBACK}`,
  },
  wasm: {
    description: "XNNPACK kernels compiled to WebAssembly, through @tensorflow/tfjs-backend-wasm",
    packageName: "@tensorflow/tfjs-backend-wasm",
    tfBackendName: "wasm",
    installHint: `It is a dependency of @r1ts/backend-tfjs: reinstall your packages. Or set device "cpu".`,
  },
  cpu: {
    description: "plain JavaScript kernels, through @tensorflow/tfjs-backend-cpu",
    packageName: "@tensorflow/tfjs-backend-cpu",
    tfBackendName: "cpu",
    installHint: `It is a dependency of @r1ts/backend-tfjs: reinstall your packages.`,
  },
};

export function isDeviceRequest(value: unknown): value is TfjsDeviceRequest {
  return value === "auto" || (DEVICES as readonly unknown[]).includes(value);
}
