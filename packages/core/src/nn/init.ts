/** Parameter initialisation shared by the layers: seeded normal weights (GPT-2 / HF `initializer_range`). */
import { Generator } from "../random/generator.ts";

export interface InitOptions {
  /** Standard deviation of the normal initialisation (default 0.02, HF's `initializer_range`). */
  std?: number;
  /** The seeded generator weights are drawn from (default: a fresh generator with seed 0). */
  generator?: Generator;
}

export const DEFAULT_INIT_STD = 0.02;

export function resolveInit({ std = DEFAULT_INIT_STD, generator }: InitOptions = {}): { std: number; generator: Generator } {
  if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`init std must be a finite number >= 0, got ${std}`);
  return { std, generator: generator ?? new Generator(0) };
}
