/** Generation: samplers, the KV cache, batched generation with stop conditions. */
export * from "./kv-cache.ts";
export * from "./static-kv-cache.ts";
export * from "./captured-decoding.ts";
export * from "./sampling.ts";
export * from "./generate.ts";
