/**
 * Which of a kernel's inputs and outputs its gradient reads (PyTorch's saved tensors). The tape keeps
 * the buffers of those only; the others are recorded as shape-only stubs (shape and dtype, no buffer),
 * so a residual Add or a Reshape no longer keeps its operands alive until the backward pass. A kernel
 * that declares nothing keeps everything (always correct).
 */
import type { TapeKernel } from "./tape.ts";

export interface SavedTensors {
  /** Indices of the inputs the gradient reads, or all of them. */
  inputs: readonly number[] | "all";
  /** Indices of the outputs the gradient reads, or all of them. */
  outputs: readonly number[] | "all";
}

const saved = new Map<TapeKernel, SavedTensors>();

export function declareSavedTensors(kernel: TapeKernel, spec: SavedTensors): void {
  saved.set(kernel, spec);
}

/** What the tape must keep of a call of `kernel`; undefined: everything. */
export function savedTensorsOf(kernel: TapeKernel): SavedTensors | undefined {
  return saved.get(kernel);
}
