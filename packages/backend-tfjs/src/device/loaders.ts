/**
 * Starting each device: the native packages (tfjs-node, tfjs-node-gpu) are imported dynamically, only
 * when asked for, since they are not dependencies (they cannot be installed everywhere); wasm and
 * cpu come with this package. A loader returns the tfjs namespace to run kernels with, or throws.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as tfCore from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { Tf } from "../tf.ts";
import { DEVICE_INFO } from "./devices.ts";
import type { TfjsDevice } from "./devices.ts";

export interface LoadedDevice {
  tf: Tf;
  /** The tfjs backend name to activate (tf.setBackend). */
  tfBackendName: string;
  /** Facts worth reporting (versions, GPU use). */
  facts: Record<string, unknown>;
}

/** Starts one device or throws saying why it cannot run here. */
export type DeviceLoader = (device: TfjsDevice) => Promise<LoadedDevice>;

/** A package that is not installed (as opposed to one that is installed but fails to load). */
export class PackageNotFoundError extends Error {
  override readonly name = "PackageNotFoundError";
}

/** How a module is imported by specifier; injectable so tests can stand in for the native packages. */
export type ImportModule = (specifier: string) => Promise<unknown>;

const nativeImport: ImportModule = (specifier) => import(specifier);

/**
 * Imports an optional package: first as seen from this package, then from the working directory (a
 * user's project whose node_modules this package cannot see, e.g. under pnpm's strict layout).
 */
export async function importOptional(packageName: string, importModule: ImportModule = nativeImport, cwd = process.cwd()): Promise<unknown> {
  try {
    return await importModule(packageName);
  } catch (error) {
    if (!isNotFound(error, packageName)) throw error;
  }
  let resolved: string;
  try {
    resolved = createRequire(path.join(cwd, "package.json")).resolve(packageName);
  } catch {
    throw new PackageNotFoundError(`${packageName} is not installed (not found from @r1ts/backend-tfjs nor from ${cwd})`);
  }
  return importModule(pathToFileURL(resolved).href);
}

function isNotFound(error: unknown, packageName: string): boolean {
  const e = error as { code?: string; message?: string };
  return (e?.code === "ERR_MODULE_NOT_FOUND" || e?.code === "MODULE_NOT_FOUND") && String(e.message).includes(packageName);
}

/** The tfjs namespace of a native package's module (its CommonJS exports may sit on `default`). */
function namespaceOf(mod: unknown): Tf {
  const m = mod as Record<string, unknown>;
  const candidate = typeof m.tensor === "function" ? m : (m.default as Record<string, unknown> | undefined);
  if (!candidate || typeof candidate.tensor !== "function") throw new Error("the module does not export the tfjs API");
  return candidate as unknown as Tf;
}

/** Makes `name` the active tfjs backend and checks that it computes 1 + 2. */
async function activate(tf: Tf, name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend("${name}") failed`);
  const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]);
  if (sum !== 3) throw new Error(`the "${name}" backend computed 1 + 2 = ${sum}`);
}

/**
 * Device "gpu" is tfjs-node-gpu on a CUDA device. Device "node" is TensorFlow on the CPU: tfjs-node, or
 * else tfjs-node-gpu (which runs on the CPU when TensorFlow finds no GPU, and is then the only one
 * installed on such a machine).
 */
async function loadNative(device: "gpu" | "node", importModule: ImportModule): Promise<LoadedDevice> {
  const packages = device === "gpu" ? [DEVICE_INFO.gpu.packageName] : [DEVICE_INFO.node.packageName, DEVICE_INFO.gpu.packageName];
  let mod: unknown;
  let packageName = packages[0];
  const missing: PackageNotFoundError[] = [];
  for (const candidate of packages) {
    try {
      mod = await importOptional(candidate, importModule);
      packageName = candidate;
      break;
    } catch (error) {
      // Only "not installed" moves on to the next package; a broken install is reported as it is.
      if (!(error instanceof PackageNotFoundError)) throw error;
      missing.push(error);
    }
  }
  if (mod === undefined) {
    throw missing.length === 1 ? missing[0] : new PackageNotFoundError(`${missing[0].message}; nor is ${packages.slice(1).join(", ")}`);
  }
  const tf = namespaceOf(mod);
  const tfBackendName = DEVICE_INFO[device].tfBackendName;
  await activate(tf, tfBackendName);
  // tfjs-node's backend says whether TensorFlow placed ops on a CUDA device.
  const usingGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
  if (device === "gpu" && usingGpu === false) {
    throw new Error(`${packageName} loaded, but TensorFlow found no CUDA GPU (check nvidia-smi, CUDA 11.2 and cuDNN 8.1)`);
  }
  return { tf, tfBackendName, facts: { package: packageName, tfjsVersion: tf.version_core, usingGpu } };
}

/** The folder holding tfjs-backend-wasm's .wasm files (Node needs it set explicitly). */
export function wasmDistFolder(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep;
}

let wasmPathsSet = false;

async function loadWasm(): Promise<LoadedDevice> {
  if (!wasmPathsSet) {
    setWasmPaths(wasmDistFolder());
    wasmPathsSet = true;
  }
  await activate(tfCore, "wasm");
  const simd = await tfCore.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = await tfCore.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  return { tf: tfCore, tfBackendName: "wasm", facts: { package: DEVICE_INFO.wasm.packageName, tfjsVersion: tfCore.version_core, simd, threads } };
}

async function loadCpu(): Promise<LoadedDevice> {
  if (await tfCore.setBackend("cpu")) {
    // The cpu backend greets Node users once with advice to install tfjs-node; device "auto" already tried it.
    (tfCore.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  await activate(tfCore, "cpu");
  return { tf: tfCore, tfBackendName: "cpu", facts: { package: DEVICE_INFO.cpu.packageName, tfjsVersion: tfCore.version_core } };
}

/** The loader used unless a test injects another: native packages by dynamic import, wasm and cpu bundled. */
export function defaultDeviceLoader(importModule: ImportModule = nativeImport): DeviceLoader {
  return (device) => {
    switch (device) {
      case "gpu":
      case "node":
        return loadNative(device, importModule);
      case "wasm":
        return loadWasm();
      case "cpu":
        return loadCpu();
    }
  };
}
