/** Errors of capture (compile/): host reads and unsupported operations inside a compiled function. */
import { R1tsError } from "../errors.ts";

/** Something a compiled function did that cannot be captured as a graph; the message names the op. */
export class CaptureError extends R1tsError {}

/**
 * Thrown by a backend's `compileGraph` when it cannot express a trace as one graph (e.g. a kernel its
 * graph format lacks): core then replays that trace kernel by kernel and reports the reason in its stats.
 */
export class GraphNotSupportedError extends R1tsError {}
