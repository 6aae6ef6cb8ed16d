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
  /**
   * Transpose matmul operands with tf.transpose instead of matMul's transpose flags: tfjs-wasm's
   * BatchMatMul takes a path 5-13x slower with either flag set (measured here at 256-512).
   */
  explicitTransposes: boolean;
}

/** tf.matMul(a, b, transposeA, transposeB), transposing explicitly where the flags are slow. */
export function matMulOf(args: Pick<KernelArgs<unknown>, "tf" | "explicitTransposes">, a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor {
  const { tf, explicitTransposes } = args;
  if (!explicitTransposes || (!transposeA && !transposeB)) return tf.matMul(a, b, transposeA, transposeB);
  const swapLast = (t: TfTensor): TfTensor => tf.transpose(t, [...t.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : i === all.length - 2 ? all.length - 1 : all.length - 2)));
  return tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b);
}

export type TfKernel<A> = (args: KernelArgs<A>) => TfTensor | TfTensor[];

/**
 * An int32 scalar. (tfjs turns a JS number operand into a float32 tensor and upcasts, so integer
 * arithmetic needs its constants typed.)
 */
export function int(tf: Tf, value: number): TfTensor {
  return tf.scalar(value, "int32");
}
