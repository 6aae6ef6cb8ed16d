/** Generation: samplers, the KV cache, batched generation with stop conditions. */
export * from "./kv-cache.ts";
export * from "./sampling.ts";
export * from "./generate.ts";
