/** Parameter initialisation shared by the layers: seeded normal weights (GPT-2 / HF `initializer_range`). */
import { randomNormal } from "../ops/creation.ts";
import { Generator } from "../random/generator.ts";
import { allocateStorage, type DType } from "../tensor/dtype.ts";
import { engine } from "../tensor/engine.ts";
import { sizeOf } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";

export interface InitOptions {
  /** Standard deviation of the normal initialisation (default 0.02, HF's `initializer_range`). */
  std?: number;
  /** The seeded generator weights are drawn from (default: a fresh generator with seed 0). */
  generator?: Generator;
  /** Allocate zeroed weights without drawing them, for weights about to be loaded (default false). */
  empty?: boolean;
}

export const DEFAULT_INIT_STD = 0.02;

export function resolveInit({ std = DEFAULT_INIT_STD, generator }: InitOptions = {}): { std: number; generator: Generator } {
  if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`init std must be a finite number >= 0, got ${std}`);
  return { std, generator: generator ?? new Generator(0) };
}

/** A weight of `shape`: normal(0, std) from the init's generator, or zeros (no draws) with `empty`. */
export function initialWeight(shape: readonly number[], init: InitOptions = {}, dtype: DType = "f32"): Tensor {
  if (init.empty || dtype !== "f32") return engine.makeTensor(allocateStorage(dtype, sizeOf(shape)), shape, dtype);
  const { std, generator } = resolveInit(init);
  return randomNormal(shape, generator, std);
}
