/**
 * Causal self-attention with grouped key/value heads (GQA, Ainslie et al. 2023): nHeads query heads
 * share nKvHeads key/value heads, nHeads / nKvHeads queries per group (nKvHeads = nHeads is plain
 * multi-head attention, Vaswani et al. eq. 1; nKvHeads = 1 is multi-query attention).
 * Parameter names follow HF Llama/Qwen: q_proj, k_proj, v_proj, o_proj, and Qwen3's per-head
 * q_norm / k_norm (RMSNorm over each head before RoPE).
 */
import { ShapeError } from "../errors.ts";
import type { LayerCache } from "../generate/kv-cache.ts";
import { add, mul } from "../ops/elementwise.ts";
import { attention } from "../ops/fused/index.ts";
import { reshape, transpose } from "../ops/layout.ts";
import { matmul } from "../ops/matmul.ts";
import { softmax } from "../ops/softmax.ts";
import { tidy } from "../memory.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { InitOptions } from "./init.ts";
import { Linear } from "./linear.ts";
import { Module } from "./module.ts";
import { RMSNorm } from "./rms-norm.ts";
import { type RopeTables, applyRope } from "./rope.ts";

export interface AttentionConfig {
  dim: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** RoPE layout of the heads (interleaved pairs or half-split). */
  ropeInterleaved: boolean;
  /** Biases on q/k/v (not on o), as in Qwen2. */
  bias?: boolean;
  /** A bias on o_proj (Llama's attention_bias has biases on q, k, v and o). */
  outputBias?: boolean;
  /** Qwen3: RMSNorm (headDim wide, eps normEps) over every query and key head before RoPE. */
  qkNorm?: boolean;
  /** Epsilon of q_norm / k_norm (default 1e-6). */
  normEps?: number;
  /** Softmax scale; default headDim^-0.5. */
  softmaxScale?: number;
  /** Keep the projection weights in FP8 with block scales (nn/linear.ts). */
  fp8Weights?: boolean;
}

/** What every attention layer needs for one step of cached decoding (built by `TransformerLM.forwardCached`). */
export interface CachedStep {
  /** RoPE cos/sin of the new tokens: [S, rot/2] (shared positions) or [B * S, rot/2] (per-row positions). */
  tables: RopeTables;
  /**
   * Per-row attention bounds i32 [B, 3] (keyStart, keyEnd, queryStart; see the Attention kernel's
   * contract in backend/kernels.ts) for left-padded batches: the fused kernels mask the padding.
   * queryStart is the column of the row's first new token; `cachedLength` is then not used.
   */
  bounds?: Tensor;
  /**
   * An arbitrary additive mask [B, 1, S, T] over all T = cachedLength + S keys (0 = attend,
   * MASKED_SCORE = skip), taking a composed path; undefined (and no bounds) means plain causal attention.
   */
  mask?: Tensor;
  /** Tokens (columns) already in the cache: the column of the first new token. */
  cachedLength: number;
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
  readonly q_norm: RMSNorm | undefined;
  readonly k_norm: RMSNorm | undefined;
  readonly scale: number;

  constructor(
    readonly config: AttentionConfig,
    init: InitOptions = {},
  ) {
    super();
    const { dim, nHeads, nKvHeads, headDim, bias = false, outputBias = false, fp8Weights: fp8Weight = false } = config;
    if (nHeads % nKvHeads !== 0) throw new RangeError(`CausalSelfAttention: nKvHeads (${nKvHeads}) must divide nHeads (${nHeads})`);
    this.scale = config.softmaxScale ?? 1 / Math.sqrt(headDim);
    this.q_proj = this.addModule("q_proj", new Linear(dim, nHeads * headDim, { ...init, bias, fp8Weight }));
    this.k_proj = this.addModule("k_proj", new Linear(dim, nKvHeads * headDim, { ...init, bias, fp8Weight }));
    this.v_proj = this.addModule("v_proj", new Linear(dim, nKvHeads * headDim, { ...init, bias, fp8Weight }));
    this.o_proj = this.addModule("o_proj", new Linear(nHeads * headDim, dim, { ...init, bias: outputBias, fp8Weight }));
    if (config.qkNorm) {
      this.q_norm = this.addModule("q_norm", new RMSNorm(headDim, config.normEps ?? 1e-6));
      this.k_norm = this.addModule("k_norm", new RMSNorm(headDim, config.normEps ?? 1e-6));
    }
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
      const norm = (t: Tensor, n: RMSNorm | undefined): Tensor => (n ? n.forward(t) : t);
      const q = applyRope(norm(heads(this.q_proj.forward(x), nHeads), this.q_norm), { cos, sin }, interleaved);
      const k = applyRope(norm(heads(this.k_proj.forward(x), nKvHeads), this.k_norm), { cos, sin }, interleaved);
      const v = heads(this.v_proj.forward(x), nKvHeads);
      return { q: toHeadsFirst(q), k: toHeadsFirst(k), v: toHeadsFirst(v) };
    });
  }

  /**
   * softmax(q k^T * scale + causal mask) v over q [B, H, S, hd], k/v [B, Hkv, T, hd] (with per-row
   * bounds: padding masked too, queries at their rows' columns); then o_proj -> [B, S, dim].
   */
  attend(q: Tensor, k: Tensor, v: Tensor, queryOffset: number, bounds?: Tensor): Tensor {
    return tidy(() => {
      const [b, h, s, hd] = q.shape;
      const out = attention(q, k, v, { causal: true, scale: this.scale, queryOffset: bounds ? 0 : queryOffset, bounds });
      return this.o_proj.forward(reshape(transpose(out, [0, 2, 1, 3]), [b, s, h * hd]));
    });
  }

  /** One decoding step: x [B, S, dim] are the new tokens; their k and v are appended to `cache`. */
  forwardCached(x: Tensor, step: CachedStep, cache: LayerCache): Tensor {
    return tidy(() => {
      const { q, k, v } = this.projectQKV(x, step.tables);
      const keys = cache.append("k", k, 2);
      const values = cache.append("v", v, 2);
      if (!step.mask) return this.attend(q, keys, values, step.cachedLength, step.bounds);
      const [b, h, s, hd] = q.shape;
      const out = maskedAttention(q, keys, values, step.mask, this.scale);
      return this.o_proj.forward(reshape(transpose(out, [0, 2, 1, 3]), [b, s, h * hd]));
    });
  }
}

/**
 * softmax(q k^T * scale + mask) v with grouped kv heads and an explicit additive mask [B, 1, S, T]
 * (any mask; padded batches use the fused kernel's per-row bounds instead, `CachedStep.bounds`): q [B, H, S, dk], k [B, Hkv, T, dk], v [B, Hkv, T, dv] -> [B, H, S, dv].
 */
export function maskedAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, scale: number): Tensor {
  const [b, h, s, dk] = q.shape;
  const [, hkv, t] = k.shape;
  if (mask.rank !== 4 || mask.shape[0] !== b || mask.shape[1] !== 1 || mask.shape[2] !== s || mask.shape[3] !== t) {
    throw new ShapeError(`maskedAttention: mask must be [${b}, 1, ${s}, ${t}], got ${formatShape(mask.shape)}`);
  }
  return tidy(() => {
    const group = h / hkv;
    // Heads of one group share one kv head: q [B, Hkv, group, S, dk] against k [B, Hkv, 1, T, dk].
    const qg = reshape(q, [b, hkv, group, s, dk]);
    const scores = add(mul(matmul(qg, reshape(k, [b, hkv, 1, t, dk]), { transposeB: true }), scale), reshape(mask, [b, 1, 1, s, t]));
    const out = matmul(softmax(scores), reshape(v, [b, hkv, 1, t, v.shape[3]]));
    return reshape(out, [b, h, s, v.shape[3]]);
  });
}
