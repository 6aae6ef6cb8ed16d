/**
 * A preallocated decoding cache for shape-stable (capturable) generation: per layer, variables of a
 * fixed length T (k and v [B, Hkv, T, hd] for GQA; the latent c [B, T, Dc] and the shared RoPE key
 * [B, T, Dr] for absorbed MLA). Each step writes its S new tokens at columns [column, column + S) with a
 * one-hot write matrix W [S, T] built from a tensor input:
 *   cache' = cache * (1 - colsum(W)) + W^T new      (along the token axis)
 * so the step's shapes never change and one captured graph serves every decoding step.
 */
import { ShapeError } from "../errors.ts";
import { zeros, variable } from "../ops/creation.ts";
import { add, mul, sub } from "../ops/elementwise.ts";
import { reshape, transpose } from "../ops/layout.ts";
import { matmul } from "../ops/matmul.ts";
import { sum } from "../ops/reduce.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape, shapesEqual } from "../tensor/shape.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import type { Backend } from "../backend/backend.ts";
import type { LayerCache } from "./kv-cache.ts";

/** One cached tensor of a layer: its name, full shape, and its token axis (always the second to last). */
export interface StaticCacheEntry {
  name: string;
  shape: number[];
}

export class StaticKVCache {
  private readonly layers: Map<string, Variable>[];
  /** The one-hot write matrix [S, T] of the step in progress. */
  private write: Tensor | undefined;

  /** `entries[i]`: the tensors layer i caches. Every shape's second-to-last dim must be `length`. */
  constructor(
    readonly batch: number,
    readonly length: number,
    entries: readonly (readonly StaticCacheEntry[])[],
    backend?: Backend,
  ) {
    this.layers = entries.map((list, i) =>
      new Map(
        list.map((e) => {
          if (e.shape[0] !== batch || e.shape[e.shape.length - 2] !== length) {
            throw new ShapeError(`StaticKVCache: layer ${i} entry "${e.name}" ${formatShape(e.shape)} must be [${batch}, ..., ${length}, dim]`);
          }
          return [e.name, variable(zeros(e.shape, "f32", backend), `cache.${i}.${e.name}`, false)] as const;
        }),
      ),
    );
  }

  get nLayers(): number {
    return this.layers.length;
  }

  /** Every cache variable (what a captured step reads and assigns). */
  variables(): Variable[] {
    return this.layers.flatMap((l) => [...l.values()]);
  }

  /** Sets the write matrix [S, T] of the next forward pass (a one-hot of the new tokens' columns). */
  beginStep(write: Tensor): void {
    if (write.rank !== 2 || write.shape[1] !== this.length) throw new ShapeError(`StaticKVCache: the write matrix must be [S, ${this.length}], got ${formatShape(write.shape)}`);
    this.write = write;
  }

  endStep(): void {
    this.write = undefined;
  }

  layer(i: number): LayerCache {
    const entries = this.layers[i];
    if (!entries) throw new RangeError(`StaticKVCache: layer ${i} is out of range [0, ${this.layers.length})`);
    return {
      append: (name, t, axis) => {
        const v = entries.get(name);
        const w = this.write;
        if (!v) throw new ShapeError(`StaticKVCache: layer ${i} has no entry "${name}" (it has ${[...entries.keys()].join(", ")})`);
        if (!w) throw new ShapeError("StaticKVCache: no step in progress (forwardStatic sets the write matrix)");
        if (axis !== v.rank - 2) throw new ShapeError(`StaticKVCache: "${name}" grows along axis ${v.rank - 2}, not ${axis}`);
        const expected = [...v.shape];
        expected[axis] = w.shape[0];
        if (!shapesEqual(t.shape, expected)) throw new ShapeError(`StaticKVCache: new "${name}" of layer ${i} is ${formatShape(t.shape)}, expected ${formatShape(expected)}`);
        const whole = engine.tidy(() => {
          const keepShape = v.shape.map((d, k) => (k === axis ? d : 1));
          const keep = reshape(sub(1, sum(w, 0)), keepShape);
          return add(mul(v, keep), matmul(transpose(w, [1, 0]), t));
        });
        v.assign(whole);
        return whole;
      },
    };
  }

  /** Bytes held by every cached tensor. */
  bytes(): number {
    return this.variables().reduce((n, v) => n + v.size * 4, 0);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
    for (const l of this.layers) l.clear();
  }
}
