/**
 * Absorbed multi-head latent attention (DeepSeek-V3 MLA, docs/mla.md): MQA over the latent cache,
 * every (head, query) row scoring cached token t by (qLat . c_t + qPe . kPe_t) * scale and returning
 * sum_t softmax_t c_t. All rows of a batch item share one cache, so the split-K kernel reads each cached
 * token's 576 values once for up to 16 rows (all the heads of a decode step). Per-row bounds (padded
 * batches) limit each batch item's tokens as in core's kernel contract.
 */
import type { FusedAttrs, KernelImpl } from "@r1ts/core";
import { gpuDataOf } from "../../gpu/gpu-tensor.ts";
import type { Runtime } from "../../gpu/runtime.ts";
import { runSplitAttention } from "./split-attention.ts";

export function mlaAttentionKernel(rt: Runtime): KernelImpl<FusedAttrs["MLAAttention"]> {
  return ([qLat, qPe, c, kPe, bounds], { scale, causal, queryOffset }) => {
    const [b, h, s, dc] = qLat.shape;
    const [, t, dr] = kPe.shape;
    const out = runSplitAttention(
      rt,
      { da: dc, db: dr, dv: dc, valuesAreA: true, causal, bounded: bounds !== undefined },
      { streams: b, rows: h * s, s, t, scale, queryOffset, perBatch: 1 },
      { qA: gpuDataOf(qLat), qB: gpuDataOf(qPe), kA: gpuDataOf(c), kB: gpuDataOf(kPe), bounds: bounds && gpuDataOf(bounds) },
    );
    return [out];
  };
}
