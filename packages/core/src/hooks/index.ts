/** Typed, frozen tapable hooks for trainers. */
export * from "./trainer-hooks.ts";
export * from "./events.ts";
export * from "./trainer-control.ts";
export * from "./errors.ts";
