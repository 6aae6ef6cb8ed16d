/**
 * The contract a backend implements: buffers it owns, and one function per kernel.
 * Gradients are not part of it: they live in core and are composed from kernels, so every backend trains.
 */
import type { DType, TypedArray } from "../tensor/dtype.ts";
import type { FusedAttrs, FusedKernel, PrimitiveAttrs, PrimitiveKernel } from "./kernels.ts";
import type { TensorSpec } from "./shape-inference.ts";
import type { Trace } from "../compile/trace.ts";

/** An opaque handle to a buffer owned by a backend. */
export type DataId = object;

/** What a kernel sees of a tensor: its buffer, shape and dtype. */
export interface TensorInfo {
  readonly dataId: DataId;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * A kernel implementation. `outputs` are the shapes and dtypes core inferred (and validated);
 * the kernel returns one new buffer per output.
 */
export type KernelImpl<A> = (inputs: readonly TensorInfo[], attrs: A, outputs: readonly TensorSpec[]) => DataId[];

export type PrimitiveKernelImpls = { [K in PrimitiveKernel]: KernelImpl<PrimitiveAttrs[K]> };
export type FusedKernelImpls = { [K in FusedKernel]: KernelImpl<FusedAttrs[K]> };

export interface Backend {
  /** Registry name, e.g. "reference", "tfjs", "webgpu". */
  readonly name: string;
  /** Creates a buffer holding a copy of `values` (the storage array of `dtype`). */
  write(values: TypedArray, shape: readonly number[], dtype: DType): DataId;
  /** Reads a buffer back to the host. */
  read(dataId: DataId, dtype: DType): Promise<TypedArray>;
  /** Synchronous read, for backends whose buffers live in host memory. */
  readSync?(dataId: DataId, dtype: DType): TypedArray;
  /** Frees a buffer. Core calls it exactly once per buffer, when no tensor refers to it any more. */
  disposeData(dataId: DataId): void;
  /** Buffers this backend holds now (to find leaks). */
  numBuffers(): number;
  /** Every primitive kernel: the compiler reports a missing one. */
  readonly kernels: PrimitiveKernelImpls;
  /** The fused kernels this backend does itself; core composes the others from primitives. */
  readonly fused: Partial<FusedKernelImpls>;
  /**
   * Makes a captured trace executable as one graph (see compile/): optional; without it core replays
   * the trace kernel by kernel.
   */
  compileGraph?(trace: Trace, options: CompileGraphOptions): ExecutableGraph;
  /** Waits until queued work is done (GPU backends); optional. */
  sync?(): Promise<void>;
  /** Human-readable facts: device, adapter, limits. */
  describe?(): Record<string, unknown>;
  /** Releases the device. */
  destroy?(): void;
}

export interface CompileGraphOptions {
  /** The compiled function's name and signature, for logs and saved models. */
  readonly name: string;
}

/** A trace a backend made executable: each run takes one buffer per trace input, in order. */
export interface ExecutableGraph {
  /**
   * Runs the graph: returns new buffers (owned by the caller) for the trace's outputs, then for its
   * assignments, in order.
   */
  run(inputs: readonly TensorInfo[]): DataId[];
  /** Facts for reports: e.g. how many nodes the backend's graph holds. */
  describe?(): Record<string, unknown>;
  dispose(): void;
}

/** How a backend is made and ranked in the registry. */
export interface BackendFactory {
  readonly name: string;
  /** Higher wins under `auto`. The reference backend has priority 0. */
  readonly priority: number;
  /** Creates the backend, or throws a BackendError saying why it cannot run here. */
  create(options?: Record<string, unknown>): Backend | Promise<Backend>;
}
