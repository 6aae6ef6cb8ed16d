/**
 * How one fuzz case ended. The bar (issue 16): the reader returns, or throws an R1tsError whose message
 * names the file or folder it read. Anything else is a crash: a TypeError or RangeError from a missing
 * check, a plain Error, a typed error that does not say which file, or a typed error wrapping a
 * programming error (its `cause` is a TypeError, RangeError or ReferenceError). A case that runs past
 * the time limit is a hang; a fuzz process that dies (out of memory, a V8 abort) is a crash.
 */
import { R1tsError } from "@r1ts/core";

export type OutcomeKind = "success" | "typed" | "crash" | "hang";

export interface Outcome {
  kind: OutcomeKind;
  /** For typed errors and crashes: the error's class and first line. */
  error?: string;
  /** For crashes: the stack, to find the line at fault. */
  stack?: string;
}

const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError];

function firstLine(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]}`.slice(0, 300);
  return `thrown non-error ${typeof error}: ${String(error)}`.slice(0, 300);
}

/** A programming error anywhere in the cause chain. */
function programmingCause(error: unknown): Error | undefined {
  let cause = (error as { cause?: unknown })?.cause;
  for (let depth = 0; cause !== undefined && depth < 10; depth++) {
    if (PROGRAMMING_ERRORS.some((kind) => cause instanceof kind) && !(cause instanceof R1tsError)) return cause as Error;
    cause = (cause as { cause?: unknown })?.cause;
  }
  return undefined;
}

export function classify(error: unknown, named: string): Outcome {
  if (!(error instanceof R1tsError)) return { kind: "crash", error: firstLine(error), stack: (error as Error)?.stack };
  if (!error.message.includes(named)) {
    return { kind: "crash", error: `${firstLine(error)} (a typed error that does not name ${named})`, stack: error.stack };
  }
  const cause = programmingCause(error);
  if (cause !== undefined) return { kind: "crash", error: `${firstLine(error)} (wraps ${firstLine(cause)})`, stack: cause.stack };
  return { kind: "typed", error: firstLine(error) };
}
