/**
 * The decoding cache: per layer, named tensors that grow by the new tokens of every step (k and v for
 * GQA attention, the latent c and the shared RoPE key for absorbed MLA). Tensors are owned by the cache:
 * appending disposes the previous copy, and `dispose()` frees them all.
 */
import { ShapeError } from "../errors.ts";
import { concat } from "../ops/layout.ts";
import { bytesPerElement } from "../tensor/dtype.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** One layer's view of the cache, handed to its attention module. */
export interface LayerCache {
  /**
   * Appends `t` along `axis` (the token axis) to the tensor cached under `name` and returns the whole
   * cached tensor, which the cache owns (do not dispose it; it stays valid until the next append).
   */
  append(name: string, t: Tensor, axis: number): Tensor;
}

export class KVCache {
  private readonly layers: Map<string, { tensor: Tensor; axis: number }>[];
  /** Tokens cached so far (columns, padding included). */
  length = 0;

  constructor(readonly nLayers: number) {
    if (!Number.isSafeInteger(nLayers) || nLayers <= 0) throw new RangeError(`KVCache: nLayers must be a positive integer, got ${nLayers}`);
    this.layers = Array.from({ length: nLayers }, () => new Map());
  }

  layer(i: number): LayerCache {
    const entries = this.layers[i];
    if (entries === undefined) throw new RangeError(`KVCache: layer ${i} is out of range [0, ${this.nLayers})`);
    return {
      append: (name, t, axis) => {
        const old = entries.get(name);
        if (old && old.axis !== axis) throw new ShapeError(`KVCache: "${name}" of layer ${i} grows along axis ${old.axis}, not ${axis}`);
        const whole = old ? concat([old.tensor, t], axis) : engine.view(t, t.shape, "Identity");
        engine.keep(whole);
        old?.tensor.dispose();
        entries.set(name, { tensor: whole, axis });
        return whole;
      },
    };
  }

  /** The tensor cached under `name` in layer `i`, if any. */
  get(i: number, name: string): Tensor | undefined {
    return this.layers[i]?.get(name)?.tensor;
  }

  /** Values stored per cached token per layer, per batch row (layer 0's tensors; every layer has the same). */
  valuesPerTokenPerLayer(): number {
    let n = 0;
    let rowsTimesTokens = 0;
    for (const { tensor, axis } of this.layers[0].values()) {
      rowsTimesTokens = tensor.shape[0] * tensor.shape[axis];
      n += tensor.size;
    }
    if (rowsTimesTokens === 0) return 0;
    return n / rowsTimesTokens;
  }

  /** Bytes held by every cached tensor of every layer. */
  bytes(): number {
    let n = 0;
    for (const layer of this.layers) for (const { tensor } of layer.values()) n += tensor.size * bytesPerElement(tensor.dtype);
    return n;
  }

  describe(): string {
    const parts = [...this.layers[0].entries()].map(([name, { tensor }]) => `${name} ${formatShape(tensor.shape)}`);
    return `KVCache(${this.nLayers} layers, ${this.length} tokens: ${parts.join(", ")})`;
  }

  dispose(): void {
    for (const layer of this.layers) {
      for (const { tensor } of layer.values()) tensor.dispose();
      layer.clear();
    }
    this.length = 0;
  }
}
