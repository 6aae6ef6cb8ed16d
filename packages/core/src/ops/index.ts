/** Every op, as plain functions. */
export * from "./creation.ts";
export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./softmax.ts";
export * from "./matmul.ts";
export * from "./layout.ts";
export * from "./indexing.ts";
export * from "./fused/index.ts";
export type { TensorLike } from "./convert.ts";
