/** Errors of Hugging Face model folders: each names the folder's file and what is wrong with it. */
import { R1tsError } from "../errors.ts";

/** An HF config that cannot be mapped: names the field and the model type. */
export class HfConfigError extends R1tsError {}

/** A model folder that cannot be loaded or written: a missing or bad file, a missing or unexpected tensor. */
export class HfModelError extends R1tsError {
  constructor(
    /** The file at fault (a path), or the folder itself. */
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}
