/**
 * Per-row attention bounds (the optional i32 [B, 3] input of the Attention and MLAAttention kernels,
 * contract in backend/kernels.ts): row b = (keyStart, keyEnd, queryStart) sees the keys
 * keyStart <= t < keyEnd, and its query s sits at column queryOffset + queryStart + s.
 * Here: the composed form of that mask, from tensor ops only (bounds are data, so it captures).
 */
import { engine } from "../../tensor/engine.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { add, cast, greaterEqual, less, lessEqual, mul, sub } from "../elementwise.ts";
import { reshape, split } from "../layout.ts";
import { max } from "../reduce.ts";
import { arange } from "../creation.ts";

export interface BoundsMask {
  /** Additive mask [B, 1, rows, T]: 0 where visible, `masked` elsewhere. */
  additive: Tensor;
  /** [B, 1, rows, 1]: 1 where the query sees at least one key, else 0 (its output is defined as 0). */
  anyVisible: Tensor;
}

/**
 * The mask of score rows [B, *, rows, T] where row r is query r mod s (rows = heads sharing the mask x s).
 */
export function boundsMask(bounds: Tensor, rows: number, s: number, t: number, { causal, queryOffset, masked }: { causal: boolean; queryOffset: number; masked: number }): BoundsMask {
  return engine.tidy(() => {
    const b = bounds.shape[0];
    const backend = bounds.backend;
    const [keyStart, keyEnd, queryStart] = split(bounds, 3, 1).map((x) => reshape(x, [b, 1, 1, 1]));
    const keys = reshape(arange(0, t, 1, "i32", backend), [1, 1, 1, t]);
    const f = (x: Tensor): Tensor => cast(x, "f32");
    let visible = mul(f(greaterEqual(keys, keyStart)), f(less(keys, keyEnd)));
    if (causal) {
      const query = Int32Array.from({ length: rows }, (_, r) => queryOffset + (r % s));
      const columns = add(reshape(engine.makeTensor(query, [rows], "i32", backend), [1, 1, rows, 1]), queryStart);
      visible = mul(visible, f(lessEqual(keys, columns)));
    } else {
      visible = mul(visible, engine.makeTensor(new Float32Array(rows).fill(1), [1, 1, rows, 1], "f32", backend));
    }
    const additive = mul(sub(1, visible), masked);
    return { additive, anyVisible: max(visible, -1, { keepDims: true }) };
  });
}
