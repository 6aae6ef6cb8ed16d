/** Seeded generators of verifiable reasoning problems with train / held-out splits, in the R1-Zero template. */
export * from "./template.ts";
export * from "./task.ts";
export * from "./arithmetic.ts";
export * from "./countdown.ts";
export * from "./final-answer.ts";
export * from "./task-config.ts";
export * from "./task-factory.ts";
