/** Errors of capture (compile/): host reads and unsupported operations inside a compiled function. */
import { R1tsError } from "../errors.ts";

/** Something a compiled function did that cannot be captured as a graph; the message names the op. */
export class CaptureError extends R1tsError {}
