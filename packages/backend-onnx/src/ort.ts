/**
 * onnxruntime-node, loaded once. Sessions are created and run through the package's native binding,
 * which is synchronous (the public `InferenceSession` wraps the same calls in promises): core's kernel
 * contract and compiled functions are synchronous, and a synchronous run also saves the event-loop hop
 * per call. The binding is internal to onnxruntime-node, so the dependency is pinned to one version.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { BackendError } from "@r1ts/core";

const require = createRequire(import.meta.url);

/** The onnxruntime-common Tensor class (what runs take and return). */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayBufferView & ArrayLike<number>;
}

export interface OrtTensorConstructor {
  new (type: string, data: ArrayBufferView, dims: readonly number[]): OrtTensor;
}

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: Record<string, unknown>): Record<string, OrtTensor>;
  dispose(): void;
  readonly inputMetadata: { name: string }[];
  readonly outputMetadata: { name: string }[];
}

interface NativeBinding {
  InferenceSession: new () => NativeSession;
  listSupportedBackends(): { name: string; bundled: boolean }[];
}

export interface Ort {
  Tensor: OrtTensorConstructor;
  binding: NativeBinding;
  version: string;
}

let loaded: Ort | undefined;

export function loadOrt(): Ort {
  if (loaded) return loaded;
  try {
    const ort = require("onnxruntime-node") as { Tensor: OrtTensorConstructor; env: { versions?: { node?: string } } };
    const native = require("onnxruntime-node/dist/binding") as { binding: NativeBinding; initOrt(): void };
    native.initOrt();
    const version = (require("onnxruntime-node/package.json") as { version: string }).version;
    loaded = { Tensor: ort.Tensor, binding: native.binding, version };
    return loaded;
  } catch (error) {
    throw new BackendError(`onnx: onnxruntime-node could not be loaded (${(error as Error).message.split("\n")[0]}). Install it with \`pnpm add onnxruntime-node@1.30.0\`.`);
  }
}

export interface SessionOptions {
  /** Execution providers in order of preference, e.g. ["cuda", "cpu"]. */
  executionProviders: readonly string[];
  intraOpThreads: number;
  /** Where ORT writes the optimised model (warm starts, inspection); undefined = not saved. */
  optimizedModelPath?: string;
  /** Writes ORT's per-node profile (JSON) with this file prefix. */
  profilePrefix?: string;
  /** ORT's CPU memory arena (default off). */
  memArena?: boolean;
  /**
   * ORT's memory pattern (default off): one block per run sized by the planned intermediates. Off, each
   * intermediate is allocated when made and freed after its last use, which peaked lower and ran no
   * slower here (medium training step: 1363 -> 1174 MiB).
   */
  memPattern?: boolean;
  /** ORT's graph optimisation level (default "all"; a model ORT already optimised loads with "disabled"). */
  optimizationLevel?: "disabled" | "basic" | "extended" | "all";
}

/** A native session over model bytes, with graph optimisation on. */
export function createSession(model: Uint8Array, options: SessionOptions): NativeSession {
  const ort = loadOrt();
  const session = new ort.binding.InferenceSession();
  const native: Record<string, unknown> = {
    graphOptimizationLevel: options.optimizationLevel ?? "all",
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    executionProviders: [...options.executionProviders],
    // Off: an arena per session keeps its peak forever, and a run holds many sessions (one per
    // graph, and per kernel signature in eager mode).
    enableCpuMemArena: options.memArena ?? false,
    enableMemPattern: options.memPattern ?? false,
  };
  if (options.optimizedModelPath) native.optimizedModelFilePath = options.optimizedModelPath;
  if (options.profilePrefix) {
    native.enableProfiling = true;
    native.profileFilePrefix = options.profilePrefix;
  }
  session.loadModel(model.buffer, model.byteOffset, model.byteLength, native);
  return session;
}

export type { NativeSession };

/** Whether ORT's CUDA provider library sits beside the native binding (its install script puts it there with `--onnxruntime-node-install=cuda12`). */
export function cudaProviderInstalled(): boolean {
  try {
    const dir = join(dirname(require.resolve("onnxruntime-node/package.json")), "bin", "napi-v6", process.platform, process.arch);
    return existsSync(dir) && readdirSync(dir).some((f) => f.includes("providers_cuda"));
  } catch {
    return false;
  }
}
