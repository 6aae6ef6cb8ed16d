/** The contract of a task: a seeded source of verifiable problems with disjoint train and held-out splits. */
import { R1tsError } from "../errors.ts";
import type { Generator } from "../random/generator.ts";

export interface Problem {
  /** A stable key of the problem (the same problem always has the same id). */
  readonly id: string;
  /** What the user asks, e.g. "47+85". */
  readonly question: string;
  /** The question in the R1-Zero template: what the model is prompted with. */
  readonly prompt: string;
  /** The gold answer as text. */
  readonly answer: string;
  /** Dataset columns the rewards read (`answer` always; task-specific ones such as `numbers`, `target`). */
  readonly columns: Readonly<Record<string, unknown>>;
}

export interface Task {
  readonly name: string;
  /** A training problem drawn with `rng`; never a held-out one. */
  sampleTrain(rng: Generator): Problem;
  /** `count` distinct held-out problems: the same list for the same task options. */
  heldOut(count: number): Problem[];
  /** Whether a problem belongs to the held-out split. */
  isHeldOut(problem: Problem): boolean;
}

/** A task asked for something it cannot give (bad options, too many held-out problems). */
export class TaskError extends R1tsError {}

/** A hash of `key` with `seed` mapped to [0, 1) (FNV-1a then a 32-bit finaliser): decides the split. */
export function splitFraction(key: string, seed: number): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
