/**
 * A fuzz target: how to generate one input (a fast-check arbitrary), how to lay it out as r1ts would
 * find it (a file or a folder in the case's scratch folder), and which r1ts entry point reads it. The
 * harness judges the outcome: the reader returned, or threw a typed r1ts error naming that path.
 */
import type { Arbitrary } from "fast-check";

export interface CaseFiles {
  /** A folder of its own for this case (emptied before each case). */
  readonly dir: string;
  /** `dir/<name>`. */
  path(name: string): string;
}

export interface FuzzTarget<T = any> {
  readonly name: string;
  readonly description: string;
  readonly arbitrary: Arbitrary<T>;
  /** Writes the input where the reader will look; returns the path its errors must name. */
  write(input: T, files: CaseFiles): Promise<string>;
  /** Reads the path with the r1ts entry point under test. */
  read(path: string): Promise<unknown>;
  /** Bad input is reported and skipped rather than thrown (so the CI test expects no typed errors). */
  readonly reportsBadInput?: boolean;
  /** A printable form of an input, at most `maxChars` long (reports; Infinity for a replay). */
  preview(input: T, maxChars: number): string;
}

export function defineTarget<T>(target: FuzzTarget<T>): FuzzTarget<T> {
  return target;
}
