/**
 * The TensorFlow.js API the kernels are written against. It is passed in, not imported, because
 * tfjs-node and tfjs-node-gpu bring their own namespace (with the native backend registered) while
 * wasm and cpu use the tfjs-core installed with this package.
 */
import type * as tfCore from "@tensorflow/tfjs-core";

export type Tf = typeof tfCore;
export type TfTensor = tfCore.Tensor;
export type TfDType = "float32" | "int32" | "bool";
