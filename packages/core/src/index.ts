/** @r1ts/core: tensors, the backend contract, autograd, the reference backend, nn, optim and I/O. */
import "./autograd/gradients/index.ts";
import "./backend/registry.ts";

export * from "./errors.ts";
export * from "./tensor/dtype.ts";
export * from "./tensor/shape.ts";
export { Tensor, Variable } from "./tensor/tensor.ts";
export { engine, Engine } from "./tensor/engine.ts";
export type { MemoryInfo } from "./tensor/engine.ts";
export * from "./tensor/float16.ts";
export * from "./backend/backend.ts";
export * from "./backend/kernels.ts";
export { inferOutputs } from "./backend/shape-inference.ts";
export type { TensorSpec } from "./backend/shape-inference.ts";
export * from "./backend/registry.ts";
export { createReferenceBackend } from "./backend/reference/index.ts";
export type { ReferenceBackendOptions } from "./backend/reference/index.ts";
export * from "./autograd/grad.ts";
export { registerGradient, hasGradient } from "./autograd/registry.ts";
export type { GradientFn, GradientContext } from "./autograd/registry.ts";
export * from "./ops/index.ts";
export * from "./random/generator.ts";
export { counterUniform, counterBits } from "./random/counter-hash.ts";
export * as fp8 from "./quant/fp8.ts";
export * from "./io/index.ts";
export * from "./memory.ts";
