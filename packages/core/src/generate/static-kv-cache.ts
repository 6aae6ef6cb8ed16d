/**
 * A preallocated decoding cache for shape-stable (capturable) generation: per layer, variables of a
 * fixed length T (k and v [B, Hkv, T, hd] for GQA; the latent c [B, T, Dc] and the shared RoPE key
 * [B, T, Dr] for absorbed MLA). Each step writes its S new tokens at columns [column, column + S) with
 * the fused `cacheWrite` kernel, the column being a tensor input, so the step's shapes never change and
 * one captured graph serves every decoding step.
 */
import { ShapeError } from "../errors.ts";
import { zeros, variable } from "../ops/creation.ts";
import { cacheWrite } from "../ops/fused/index.ts";
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
  /** The column (i32 [1]) where the step in progress writes its first new token. */
  private column: Tensor | undefined;

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

  /** Sets the column (i32 [1]) of the next forward pass's first new token. */
  beginStep(column: Tensor): void {
    if (column.dtype !== "i32" || column.size !== 1) throw new ShapeError(`StaticKVCache: the column must be i32 [1], got ${column.dtype} ${formatShape(column.shape)}`);
    this.column = column;
  }

  endStep(): void {
    this.column = undefined;
  }

  layer(i: number): LayerCache {
    const entries = this.layers[i];
    if (!entries) throw new RangeError(`StaticKVCache: layer ${i} is out of range [0, ${this.layers.length})`);
    return {
      append: (name, t, axis) => {
        const v = entries.get(name);
        const column = this.column;
        if (!v) throw new ShapeError(`StaticKVCache: layer ${i} has no entry "${name}" (it has ${[...entries.keys()].join(", ")})`);
        if (!column) throw new ShapeError("StaticKVCache: no step in progress (forwardStatic sets the column)");
        if (axis !== v.rank - 2) throw new ShapeError(`StaticKVCache: "${name}" grows along axis ${v.rank - 2}, not ${axis}`);
        const expected = [...v.shape];
        expected[axis] = t.shape[axis];
        if (!shapesEqual(t.shape, expected)) throw new ShapeError(`StaticKVCache: new "${name}" of layer ${i} is ${formatShape(t.shape)}, expected ${formatShape(expected)}`);
        const whole = cacheWrite(v, t, column);
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
