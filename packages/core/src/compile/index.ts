/** Capture: compile(fn) traces a step once per signature and replays it as one graph. */
export * from "./compile.ts";
export { CaptureError, GraphNotSupportedError } from "./errors.ts";
export { interpretTrace } from "./interpret.ts";
export type { InterpretedRun } from "./interpret.ts";
export * from "./training-step.ts";
export * from "./trace.ts";
