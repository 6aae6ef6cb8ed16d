/**
 * The gradient registry, keyed by kernel name (as in tfjs-core): one vector-Jacobian product per kernel,
 * written with ops, so every backend that runs the forward kernels also trains.
 */
import { GradientError } from "../errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type SavedTensors, declareSavedTensors } from "./saved-tensors.ts";
import type { TapeKernel } from "./tape.ts";

export interface GradientContext<A = Record<string, unknown>> {
  /**
   * Views of the kernel's inputs and outputs as they were in the forward pass; those the gradient did
   * not declare it saves (registerGradient's `saves`) are shape-only stubs: shape and dtype, no data.
   */
  inputs: Tensor[];
  outputs: Tensor[];
  attrs: A;
  /** needsGrad[i]: whether input i leads back to a tensor being differentiated (skip the work if not). */
  needsGrad: boolean[];
}

/** Given the gradient of the (first) output, the gradient of each input, or null for none. */
export type GradientFn<A = Record<string, unknown>> = (dy: Tensor, ctx: GradientContext<A>) => (Tensor | null)[];

const gradients = new Map<TapeKernel, GradientFn>();

/**
 * Registers the gradient of `kernel`. `saves` names the inputs and outputs it reads (the others reach it
 * as shape-only stubs); omitted, every input and output is kept.
 */
export function registerGradient<A>(kernel: TapeKernel, fn: GradientFn<A>, saves?: SavedTensors): void {
  gradients.set(kernel, fn as unknown as GradientFn);
  if (saves) declareSavedTensors(kernel, saves);
}

export function getGradient(kernel: TapeKernel): GradientFn {
  const fn = gradients.get(kernel);
  if (!fn) throw new GradientError(`no gradient is registered for kernel ${kernel}`);
  return fn;
}

export function hasGradient(kernel: TapeKernel): boolean {
  return gradients.has(kernel);
}
