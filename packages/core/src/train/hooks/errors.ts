import { R1tsError } from "../../errors.ts";

/** A hook tap that threw: names the hook and the tap (usually the plugin that tapped it). */
export class HookError extends R1tsError {
  readonly hook: string;
  readonly tap: string;
  constructor(hook: string, tap: string, cause: unknown) {
    super(`hook "${hook}": tap "${tap}" failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.hook = hook;
    this.tap = tap;
    this.cause = cause;
  }
}
