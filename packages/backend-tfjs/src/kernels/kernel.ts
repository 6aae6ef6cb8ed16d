/**
 * How a kernel of this backend is written: a function from tf.Tensors to tf.Tensors. The backend
 * runs it inside tf.tidy (so every intermediate tfjs tensor is freed at once) and wraps the results
 * as r1ts buffers; see backend.ts.
 */
import type { TensorInfo, TensorSpec } from "@r1ts/core";
import type { Tf, TfTensor } from "../tf.ts";

export interface KernelArgs<A> {
  tf: Tf;
  /** The inputs as tf.Tensors, already in the shapes core gave them. */
  x: TfTensor[];
  attrs: A;
  /** Output shapes and dtypes from core's shape inference. */
  outputs: readonly TensorSpec[];
  /** The inputs as core sees them (shape, r1ts dtype). */
  inputs: readonly TensorInfo[];
  /** Whether index inputs are checked on the host (see TfjsBackendOptions.checkIndices). */
  checkIndices: boolean;
}

export type TfKernel<A> = (args: KernelArgs<A>) => TfTensor | TfTensor[];

/**
 * An int32 scalar. (tfjs turns a JS number operand into a float32 tensor and upcasts, so integer
 * arithmetic needs its constants typed.)
 */
export function int(tf: Tf, value: number): TfTensor {
  return tf.scalar(value, "int32");
}
