/** Typed, frozen tapable hooks: every trainer's, and a run's (the union plugins tap). */
export * from "./trainer-hooks.ts";
export * from "./run-hooks.ts";
export * from "./events.ts";
export * from "./trainer-control.ts";
export * from "./errors.ts";
