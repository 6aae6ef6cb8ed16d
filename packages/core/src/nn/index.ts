/** Neural network modules: Module tree, layers, RoPE tables, GQA attention, the decoder-only TransformerLM. */
export * from "./errors.ts";
export * from "./module.ts";
export * from "./init.ts";
export { Linear, type LinearOptions } from "./linear.ts";
export * from "./embedding.ts";
export * from "./rms-norm.ts";
export * from "./swiglu.ts";
export * from "./rope.ts";
export * from "./attention.ts";
export * from "./decoder-block.ts";
export * from "./transformer-config.ts";
export * from "./transformer-lm.ts";
export * from "./mla-attention.ts";
export * from "./mla.ts";
export { YARN_DEFAULTS, type YarnScaling, yarnActive, yarnCorrectionDim, yarnCorrectionRange, yarnFrequencies, yarnMscale, yarnRamp } from "./yarn.ts";
export * from "./moe-gate.ts";
export * from "./moe.ts";
export * from "./moe-balance.ts";
