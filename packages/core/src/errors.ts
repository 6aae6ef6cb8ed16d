/** Typed errors: each says what went wrong and where, so a user can act on it. */
export class R1tsError extends Error {
  /** `options.cause`: the lower-level error this one explains (kept for debugging). */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Shapes or dtypes that a kernel or op cannot accept. */
export class ShapeError extends R1tsError {}

/** A tensor used after dispose, or tensors from two backends mixed in one op. */
export class TensorStateError extends R1tsError {}

/** A backend that is missing, fails to initialise, or lacks a kernel. */
export class BackendError extends R1tsError {}

/** Gradient computation problems: a kernel without a gradient, a non-scalar loss. */
export class GradientError extends R1tsError {}
