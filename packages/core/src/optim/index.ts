/** Optimizers, gradient clipping and learning-rate schedules. */
export * from "./adamw.ts";
export * from "./clip-grad-norm.ts";
export * from "./schedules.ts";
