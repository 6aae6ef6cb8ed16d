/**
 * Causal self-attention with grouped key/value heads (GQA, Ainslie et al. 2023): nHeads query heads
 * share nKvHeads key/value heads, nHeads / nKvHeads queries per group (nKvHeads = nHeads is plain
 * multi-head attention, Vaswani et al. eq. 1; nKvHeads = 1 is multi-query attention).
 * Parameter names follow HF Llama/Qwen: q_proj, k_proj, v_proj, o_proj.
 */
import { ShapeError } from "../errors.ts";
import { attention, rope } from "../ops/fused/index.ts";
import { reshape, transpose } from "../ops/layout.ts";
import { tidy } from "../memory.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { InitOptions } from "./init.ts";
import { Linear } from "./linear.ts";
import { Module } from "./module.ts";
import type { RopeTables } from "./rope.ts";

export interface AttentionConfig {
  dim: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** RoPE layout of the heads (interleaved pairs or half-split). */
  ropeInterleaved: boolean;
  /** Biases on q/k/v (not on o), as in Qwen2. */
  bias?: boolean;
  /** Softmax scale; default headDim^-0.5. */
  softmaxScale?: number;
}

/** Queries, keys and values of one call, heads first: q [B, H, S, hd], k and v [B, Hkv, S, hd]. */
export interface QKV {
  q: Tensor;
  k: Tensor;
  v: Tensor;
}

export class CausalSelfAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  readonly scale: number;

  constructor(
    readonly config: AttentionConfig,
    init: InitOptions = {},
  ) {
    super();
    const { dim, nHeads, nKvHeads, headDim, bias = false } = config;
    if (nHeads % nKvHeads !== 0) throw new RangeError(`CausalSelfAttention: nKvHeads (${nKvHeads}) must divide nHeads (${nHeads})`);
    this.scale = config.softmaxScale ?? 1 / Math.sqrt(headDim);
    this.q_proj = this.addModule("q_proj", new Linear(dim, nHeads * headDim, { ...init, bias }));
    this.k_proj = this.addModule("k_proj", new Linear(dim, nKvHeads * headDim, { ...init, bias }));
    this.v_proj = this.addModule("v_proj", new Linear(dim, nKvHeads * headDim, { ...init, bias }));
    this.o_proj = this.addModule("o_proj", new Linear(nHeads * headDim, dim, init));
  }

  /** x [B, S, dim] with RoPE tables for its S positions -> [B, S, dim]. */
  forward(x: Tensor, tables: RopeTables): Tensor {
    return tidy(() => {
      const { q, k, v } = this.projectQKV(x, tables);
      return this.attend(q, k, v, k.shape[2] - q.shape[2]);
    });
  }

  /** The rotated queries and keys and the values of x, heads first. A KV cache appends k and v here. */
  projectQKV(x: Tensor, { cos, sin }: RopeTables): QKV {
    if (x.rank !== 3 || x.shape[2] !== this.config.dim) {
      throw new ShapeError(`CausalSelfAttention: x must be [batch, seq, ${this.config.dim}], got ${formatShape(x.shape)}`);
    }
    const { nHeads, nKvHeads, headDim, ropeInterleaved: interleaved } = this.config;
    return tidy(() => {
      const [b, s] = x.shape;
      const heads = (t: Tensor, h: number): Tensor => reshape(t, [b, s, h, headDim]);
      const toHeadsFirst = (t: Tensor): Tensor => transpose(t, [0, 2, 1, 3]);
      const q = rope(heads(this.q_proj.forward(x), nHeads), cos, sin, { interleaved });
      const k = rope(heads(this.k_proj.forward(x), nKvHeads), cos, sin, { interleaved });
      const v = heads(this.v_proj.forward(x), nKvHeads);
      return { q: toHeadsFirst(q), k: toHeadsFirst(k), v: toHeadsFirst(v) };
    });
  }

  /** softmax(q k^T * scale + causal mask) v over q [B, H, S, hd], k/v [B, Hkv, T, hd]; then o_proj -> [B, S, dim]. */
  attend(q: Tensor, k: Tensor, v: Tensor, queryOffset: number): Tensor {
    return tidy(() => {
      const [b, h, s, hd] = q.shape;
      const out = attention(q, k, v, { causal: true, scale: this.scale, queryOffset });
      return this.o_proj.forward(reshape(transpose(out, [0, 2, 1, 3]), [b, s, h * hd]));
    });
  }
}
