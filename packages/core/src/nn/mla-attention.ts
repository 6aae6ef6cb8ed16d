/**
 * The attention core of absorbed Multi-head Latent Attention (DeepSeek-V2 §2.1.2 / V3 §2.1.1, docs/mla.md):
 * MQA over the latent cache. Every head h scores cached token t by
 *   (q_lat[h] . c_t + q_pe[h] . k_pe_t) * scale
 * and returns sum_t softmax(scores)_t c_t, a 512-wide latent per head (W_kvb's value half and W_o follow).
 * It equals `attention` with one kv head, keys [c ; k_pe] (d_k = 576) and values c (d_v = 512), without
 * building those concatenations. Runs the backend's fused `MLAAttention` kernel when it has one (the
 * WebGPU decode kernel), else core's composed fallback, padded batches included (per-row `bounds`);
 * an arbitrary additive `mask` takes a composed path.
 */
import { ShapeError } from "../errors.ts";
import { composedKernels } from "../ops/fused/composed.ts";
import { add, mul } from "../ops/elementwise.ts";
import { reshape } from "../ops/layout.ts";
import { matmul } from "../ops/matmul.ts";
import { softmax } from "../ops/softmax.ts";
import { tidy } from "../memory.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";

export interface MlaAttentionOptions {
  scale: number;
  /** Query s sits at column queryOffset + s and sees keys t <= it (ignored when `mask` is given). */
  causal?: boolean;
  /** Column of the first query; default T - S. */
  queryOffset?: number;
  /** Per-row bounds i32 [B, 3] (keyStart, keyEnd, queryStart), as the MLAAttention kernel's contract (backend/kernels.ts). */
  bounds?: Tensor;
  /** An arbitrary additive mask [B, 1, S, T] (padding and causality), replacing `causal` and `bounds`. */
  mask?: Tensor;
}

/**
 * qLat [B, H, S, Dc], qPe [B, H, S, Dr], c [B, T, Dc], kPe [B, T, Dr] -> latent outputs [B, H, S, Dc].
 */
export function mlaAttention(qLat: Tensor, qPe: Tensor, c: Tensor, kPe: Tensor, options: MlaAttentionOptions): Tensor {
  checkShapes(qLat, qPe, c, kPe);
  const [b, , s, dc] = qLat.shape;
  const t = c.shape[1];
  const dr = kPe.shape[2];
  const { scale, causal = true, bounds, queryOffset = bounds ? 0 : t - s, mask } = options;
  if (mask && (mask.rank !== 4 || mask.shape[0] !== b || mask.shape[1] !== 1 || mask.shape[2] !== s || mask.shape[3] !== t)) {
    throw new ShapeError(`mlaAttention: mask must be [${b}, 1, ${s}, ${t}], got ${formatShape(mask.shape)}`);
  }
  const attrs = { scale, causal, queryOffset };
  if (!mask) {
    // The backend's fused kernel when it has one, else core's composed fallback.
    const inputs = bounds ? [qLat, qPe, c, kPe, bounds] : [qLat, qPe, c, kPe];
    if (qLat.backend.fused.MLAAttention) return engine.runKernel("MLAAttention", inputs, attrs)[0];
    return composedKernels.MLAAttention(inputs, attrs)[0];
  }
  return tidy(() => {
    const cache = reshape(c, [b, 1, t, dc]);
    const scores = add(matmul(qLat, cache, { transposeB: true }), matmul(qPe, reshape(kPe, [b, 1, t, dr]), { transposeB: true }));
    return matmul(softmax(add(mul(scores, scale), mask)), cache);
  });
}

/**
 * Absorbed single-token decode attention over the latent cache: qLatent [B, H, Dc], qPe [B, H, Dr],
 * cacheC [B, T, Dc], cachePe [B, T, Dr] -> [B, H, Dc]. The new token's own c and k_pe must already be in
 * the cache (every cached token is visible).
 */
export function mlaDecodeAttention(qLatent: Tensor, qPe: Tensor, cacheC: Tensor, cachePe: Tensor, scale: number): Tensor {
  if (qLatent.rank !== 3 || qPe.rank !== 3) throw new ShapeError(`mlaDecodeAttention: qLatent and qPe must be [batch, heads, dim], got ${formatShape(qLatent.shape)} and ${formatShape(qPe.shape)}`);
  return tidy(() => {
    const [b, h, dc] = qLatent.shape;
    const out = mlaAttention(reshape(qLatent, [b, h, 1, dc]), reshape(qPe, [b, h, 1, qPe.shape[2]]), cacheC, cachePe, { scale, causal: false });
    return reshape(out, [b, h, dc]);
  });
}

function checkShapes(qLat: Tensor, qPe: Tensor, c: Tensor, kPe: Tensor): void {
  const bad = (why: string): never => {
    throw new ShapeError(`mlaAttention: ${why} (qLat ${formatShape(qLat.shape)}, qPe ${formatShape(qPe.shape)}, c ${formatShape(c.shape)}, kPe ${formatShape(kPe.shape)})`);
  };
  if (qLat.rank !== 4 || qPe.rank !== 4) bad("qLat and qPe must be [batch, heads, seq, dim]");
  if (c.rank !== 3 || kPe.rank !== 3) bad("c and kPe must be [batch, tokens, dim]");
  const [b, h, s, dc] = qLat.shape;
  if (qPe.shape[0] !== b || qPe.shape[1] !== h || qPe.shape[2] !== s) bad("qLat and qPe must agree on batch, heads and seq");
  if (c.shape[0] !== b || kPe.shape[0] !== b || c.shape[1] !== kPe.shape[1]) bad("c and kPe must agree with each other and with q on batch and tokens");
  if (c.shape[2] !== dc || kPe.shape[2] !== qPe.shape[3]) bad("latent and rope widths of queries and cache must match");
}
