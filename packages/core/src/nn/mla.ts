/**
 * Multi-head Latent Attention (DeepSeek-V2 §2.1, DeepSeek-V3 §2.1.1; docs/mla.md), as in DeepSeek-V3's
 * `inference/model.py` class MLA, with HF DeepSeek-V3 parameter names.
 *
 *   queries:  q = W_q x, or W_qb RMSNorm(W_qa x) with query compression (qLoraRank > 0)     (V3 eq. 6-9)
 *             per head: q_nope (qkNopeHeadDim) | q_pe (qkRopeHeadDim, rotated)
 *   keys:     [c_kv | k_pe] = W_kva x; c = RMSNorm(c_kv); k_pe rotated, one key shared by all heads (eq. 1-5)
 *   naive:    k = [W_kvb,k c ; k_pe], v = W_kvb,v c; attention per head; cache k and v (H * (192 + 128) values)
 *   absorbed: q_lat = q_nope W_kvb,k (per head); o_lat = softmax((q_lat . c + q_pe . k_pe) * scale) c;
 *             o = o_lat W_kvb,v^T; cache only c and k_pe (512 + 64 values per token per layer)
 *   out:      W_o flatten(o)
 * Both paths compute the same function (to float rounding).
 */
import { ShapeError } from "../errors.ts";
import type { LayerCache } from "../generate/kv-cache.ts";
import { attention } from "../ops/fused/index.ts";
import { broadcastTo, concat, reshape, split, transpose } from "../ops/layout.ts";
import { matmul } from "../ops/matmul.ts";
import { tidy } from "../memory.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type CachedStep, maskedAttention } from "./attention.ts";
import type { InitOptions } from "./init.ts";
import { Linear, type LinearOptions } from "./linear.ts";
import { mlaAttention } from "./mla-attention.ts";
import { Module } from "./module.ts";
import { RMSNorm } from "./rms-norm.ts";
import { type RopeTables, applyRope } from "./rope.ts";

export interface MLAConfig {
  dim: number;
  nHeads: number;
  /** Rank of the query compression; 0 = no compression (a plain W_q). */
  qLoraRank: number;
  /** Width of the compressed key/value latent c (512 in DeepSeek-V3). */
  kvLoraRank: number;
  /** Per-head query/key width without RoPE (128). */
  qkNopeHeadDim: number;
  /** Per-head query width with RoPE, and the width of the shared RoPE key (64). */
  qkRopeHeadDim: number;
  /** Per-head value width (128). */
  vHeadDim: number;
  /** Epsilon of the latent RMSNorms (1e-6). */
  normEps?: number;
  /** RoPE layout: interleaved pairs as in DeepSeek (default true). */
  ropeInterleaved?: boolean;
  /** Softmax scale; default (qkNopeHeadDim + qkRopeHeadDim)^-0.5 (multiply by mscale^2 under YaRN). */
  softmaxScale?: number;
  /** Cached decoding keeps the latent cache (absorbed path, default) or full keys and values (naive path). */
  absorb?: boolean;
  /** Keep the projection weights in FP8 with block scales, as DeepSeek-V3's released checkpoints (nn/linear.ts). */
  fp8Weights?: boolean;
}

export type MLAPath = "naive" | "absorbed";

export class MultiHeadLatentAttention extends Module {
  readonly q_proj: Linear | undefined;
  readonly q_a_proj: Linear | undefined;
  readonly q_a_layernorm: RMSNorm | undefined;
  readonly q_b_proj: Linear | undefined;
  readonly kv_a_proj_with_mqa: Linear;
  readonly kv_a_layernorm: RMSNorm;
  readonly kv_b_proj: Linear;
  readonly o_proj: Linear;
  readonly scale: number;
  readonly interleaved: boolean;
  /** The path of `forwardCached` (what the cache holds). */
  readonly cachePath: MLAPath;

  constructor(
    readonly config: MLAConfig,
    init: InitOptions = {},
  ) {
    super();
    const { dim, nHeads: h, qLoraRank, kvLoraRank, qkNopeHeadDim: dn, qkRopeHeadDim: dr, vHeadDim: dv, normEps = 1e-6 } = config;
    for (const [name, v] of Object.entries({ dim, nHeads: h, kvLoraRank, qkNopeHeadDim: dn, qkRopeHeadDim: dr, vHeadDim: dv })) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`MultiHeadLatentAttention: ${name} must be a positive integer, got ${v}`);
    }
    if (!Number.isSafeInteger(qLoraRank) || qLoraRank < 0) throw new RangeError(`MultiHeadLatentAttention: qLoraRank must be an integer >= 0, got ${qLoraRank}`);
    if (dr % 2 !== 0) throw new RangeError(`MultiHeadLatentAttention: qkRopeHeadDim must be even (RoPE rotates pairs), got ${dr}`);
    this.scale = config.softmaxScale ?? 1 / Math.sqrt(dn + dr);
    this.interleaved = config.ropeInterleaved ?? true;
    this.cachePath = config.absorb === false ? "naive" : "absorbed";
    const lin: LinearOptions = { ...init, fp8Weight: config.fp8Weights === true };
    if (qLoraRank === 0) {
      this.q_proj = this.addModule("q_proj", new Linear(dim, h * (dn + dr), lin));
    } else {
      this.q_a_proj = this.addModule("q_a_proj", new Linear(dim, qLoraRank, lin));
      this.q_a_layernorm = this.addModule("q_a_layernorm", new RMSNorm(qLoraRank, normEps));
      this.q_b_proj = this.addModule("q_b_proj", new Linear(qLoraRank, h * (dn + dr), lin));
    }
    this.kv_a_proj_with_mqa = this.addModule("kv_a_proj_with_mqa", new Linear(dim, kvLoraRank + dr, lin));
    this.kv_a_layernorm = this.addModule("kv_a_layernorm", new RMSNorm(kvLoraRank, normEps));
    this.kv_b_proj = this.addModule("kv_b_proj", new Linear(kvLoraRank, h * (dn + dv), lin));
    this.o_proj = this.addModule("o_proj", new Linear(h * dv, dim, lin));
  }

  /** x [B, S, dim] with RoPE tables (qkRopeHeadDim wide) for its positions -> [B, S, dim], causal. */
  forward(x: Tensor, tables: RopeTables, path: MLAPath = "naive"): Tensor {
    return tidy(() => {
      const { qNope, qPe } = this.queries(x, tables);
      const { c, kPe } = this.latents(x, tables);
      if (path === "absorbed") return this.attendAbsorbed(qNope, qPe, c, kPe, { queryOffset: 0 });
      const { k, v } = this.expandKV(c, kPe);
      return this.output(attention(concat([qNope, qPe], 3), k, v, { causal: true, scale: this.scale, queryOffset: 0 }));
    });
  }

  /** One step of cached decoding on `cachePath`: the new tokens' latents (or keys and values) are appended to `cache`. */
  forwardCached(x: Tensor, step: CachedStep, cache: LayerCache): Tensor {
    return tidy(() => {
      const { qNope, qPe } = this.queries(x, step.tables);
      const { c, kPe } = this.latents(x, step.tables);
      if (this.cachePath === "absorbed") {
        const cAll = cache.append("c", c, 1);
        const kPeAll = cache.append("kpe", kPe, 1);
        return this.attendAbsorbed(qNope, qPe, cAll, kPeAll, { queryOffset: step.bounds ? 0 : step.cachedLength, mask: step.mask, bounds: step.bounds });
      }
      const kv = this.expandKV(c, kPe);
      const k = cache.append("k", kv.k, 2);
      const v = cache.append("v", kv.v, 2);
      const q = concat([qNope, qPe], 3);
      if (step.mask) return this.output(maskedAttention(q, k, v, step.mask, this.scale));
      return this.output(attention(q, k, v, { causal: true, scale: this.scale, queryOffset: step.bounds ? 0 : step.cachedLength, bounds: step.bounds }));
    });
  }

  /** q_nope [B, H, S, dn] and rotated q_pe [B, H, S, dr], heads first. */
  queries(x: Tensor, tables: RopeTables): { qNope: Tensor; qPe: Tensor } {
    const { dim, nHeads: h, qkNopeHeadDim: dn, qkRopeHeadDim: dr } = this.config;
    if (x.rank !== 3 || x.shape[2] !== dim) throw new ShapeError(`MultiHeadLatentAttention: x must be [batch, seq, ${dim}], got ${formatShape(x.shape)}`);
    return tidy(() => {
      const [b, s] = x.shape;
      const q = this.q_proj ? this.q_proj.forward(x) : this.q_b_proj!.forward(this.q_a_layernorm!.forward(this.q_a_proj!.forward(x)));
      const [qNope, qPe] = split(reshape(q, [b, s, h, dn + dr]), [dn, dr], 3);
      return { qNope: transpose(qNope, [0, 2, 1, 3]), qPe: transpose(applyRope(qPe, tables, this.interleaved), [0, 2, 1, 3]) };
    });
  }

  /** The normalised latent c [B, S, kvLoraRank] and the rotated shared RoPE key k_pe [B, S, dr]. */
  latents(x: Tensor, tables: RopeTables): { c: Tensor; kPe: Tensor } {
    const { kvLoraRank, qkRopeHeadDim: dr } = this.config;
    return tidy(() => {
      const [b, s] = x.shape;
      const [cKv, kPe] = split(this.kv_a_proj_with_mqa.forward(x), [kvLoraRank, dr], 2);
      const rotated = reshape(applyRope(reshape(kPe, [b, s, 1, dr]), tables, this.interleaved), [b, s, dr]);
      return { c: this.kv_a_layernorm.forward(cKv), kPe: rotated };
    });
  }

  /** Naive path: per-head keys [k_nope ; k_pe] [B, H, T, dn + dr] and values [B, H, T, dv] from the latents. */
  expandKV(c: Tensor, kPe: Tensor): { k: Tensor; v: Tensor } {
    const { nHeads: h, qkNopeHeadDim: dn, qkRopeHeadDim: dr, vHeadDim: dv } = this.config;
    return tidy(() => {
      const [b, t] = c.shape;
      const [kNope, v] = split(reshape(this.kv_b_proj.forward(c), [b, t, h, dn + dv]), [dn, dv], 3);
      const k = concat([kNope, broadcastTo(reshape(kPe, [b, t, 1, dr]), [b, t, h, dr])], 3);
      return { k: transpose(k, [0, 2, 1, 3]), v: transpose(v, [0, 2, 1, 3]) };
    });
  }

  /** W_kvb viewed per head: its key half [H, dn, Dc] and value half [H, dv, Dc]. */
  absorbedWeights(): { wk: Tensor; wv: Tensor } {
    const { nHeads: h, qkNopeHeadDim: dn, vHeadDim: dv, kvLoraRank } = this.config;
    return tidy(() => {
      // The effective weight: dequantised when stored as FP8, plus a LoRA adapter's delta when there is one.
      const [wk, wv] = split(reshape(this.kv_b_proj.effectiveWeight(), [h, dn + dv, kvLoraRank]), [dn, dv], 1);
      return { wk, wv };
    });
  }

  /** Absorbed path: fold W_kvb's key half into the queries, attend over the latents, unfold with its value half. */
  private attendAbsorbed(qNope: Tensor, qPe: Tensor, c: Tensor, kPe: Tensor, { queryOffset, mask, bounds }: { queryOffset: number; mask?: Tensor; bounds?: Tensor }): Tensor {
    return tidy(() => {
      const { wk, wv } = this.absorbedWeights();
      const qLat = matmul(qNope, wk); // [B, H, S, dn] x [H, dn, Dc] -> [B, H, S, Dc]
      const oLat = mlaAttention(qLat, qPe, c, kPe, { scale: this.scale, causal: true, queryOffset, mask, bounds });
      return this.output(matmul(oLat, wv, { transposeB: true })); // [B, H, S, Dc] x [H, Dc, dv]
    });
  }

  /** o [B, H, S, dv] -> W_o flatten(o) [B, S, dim]. */
  private output(o: Tensor): Tensor {
    const [b, h, s, dv] = o.shape;
    return tidy(() => this.o_proj.forward(reshape(transpose(o, [0, 2, 1, 3]), [b, s, h * dv])));
  }
}
