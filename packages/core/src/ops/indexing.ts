/** Indexing ops: gather (embedding lookup), scatter-add, take/put along an axis, one-hot, top-k, cumsum, sampling. */
import { engine } from "../tensor/engine.ts";
import { normalizeAxis } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Generator } from "../random/generator.ts";

/** Rows of `x` along `axis` picked by i32 `indices` (an embedding lookup with axis 0). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  return engine.runKernel("Gather", [x, indices], { axis: normalizeAxis(axis, x.rank, "gather") })[0];
}

/** The inverse of gather: zeros with `size` rows along `axis`, with `updates` added at `indices`. */
export function scatterAdd(updates: Tensor, indices: Tensor, size: number, axis = 0): Tensor {
  return engine.runKernel("ScatterAdd", [updates, indices], { axis: normalizeAxis(axis, updates.rank, "scatterAdd"), size })[0];
}

/** out[..., j, ...] = x[..., indices[..., j, ...], ...]: e.g. the log-prob of each chosen token. */
export function takeAlongAxis(x: Tensor, indices: Tensor, axis = -1): Tensor {
  return engine.runKernel("TakeAlongAxis", [x, indices], { axis: normalizeAxis(axis, x.rank, "takeAlongAxis") })[0];
}

/** The inverse of takeAlongAxis: zeros with `size` along `axis`, with `updates` added at `indices`. */
export function putAlongAxisAdd(updates: Tensor, indices: Tensor, size: number, axis = -1): Tensor {
  return engine.runKernel("PutAlongAxisAdd", [updates, indices], { axis: normalizeAxis(axis, updates.rank, "putAlongAxisAdd"), size })[0];
}

export function oneHot(indices: Tensor, depth: number): Tensor {
  return engine.runKernel("OneHot", [indices], { depth })[0];
}

/** The k largest values along the last axis and their i32 indices, descending. */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  const [values, indices] = engine.runKernel("TopK", [x], { k });
  return { values, indices };
}

export function cumsum(x: Tensor, axis = -1, { exclusive = false, reverse = false } = {}): Tensor {
  return engine.runKernel("Cumsum", [x], { axis: normalizeAxis(axis, x.rank, "cumsum"), exclusive, reverse })[0];
}

/**
 * Draws `numSamples` class indices per row from softmax(logits [B, V]).
 * `seed` is a number, or a generator from which one 32-bit seed is drawn (so repeated calls differ).
 */
export function multinomial(logits: Tensor, numSamples: number, seed: number | Generator): Tensor {
  const s = typeof seed === "number" ? seed >>> 0 : seed.nextU32();
  return engine.runKernel("Multinomial", [logits], { numSamples, seed: s })[0];
}
