/**
 * How per-token losses l over the completion mask m become this micro-batch's share of the step's loss
 * (`lossType`, docs/grpo-algorithm.md#loss-types):
 *
 *   grpo     mean over each sequence's tokens, then over sequences (length-biased)
 *   bnpo     sum(l m) / sum(m) over this (micro-)batch
 *   dr_grpo  sum(l m) / (B x maxCompletionLength)              (Dr. GRPO: a constant)
 *   dapo     sum(l m) / active tokens of the whole accumulated batch (DAPO's token-level loss)
 *
 * grpo, bnpo and dr_grpo are divided by the number of micro-batches accumulated into one optimizer
 * step, so the accumulated gradient is their mean; dapo's global normaliser already is.
 */
import { div, maximum, mul } from "../../ops/elementwise.ts";
import { sum } from "../../ops/reduce.ts";
import { tidy } from "../../memory.ts";
import type { Tensor } from "../../tensor/tensor.ts";

/** How the per-token loss is aggregated; the one list configs and code use. */
export const LOSS_TYPES = ["grpo", "bnpo", "dr_grpo", "dapo"] as const;

export type LossType = (typeof LOSS_TYPES)[number];

export interface AggregationOptions {
  lossType: LossType;
  /** dr_grpo's constant normaliser is B x maxCompletionLength. */
  maxCompletionLength: number;
  /** dapo: active tokens of the whole accumulated batch (default: this batch's); a scalar tensor in captured updates. */
  globalActiveTokens?: number | Tensor;
  /** Micro-batches accumulated into one optimizer step (default 1). */
  microBatches?: number;
}

interface AggregationContext {
  batch: number;
  maxCompletionLength: number;
  microBatches: number;
  globalActiveTokens: number | Tensor | undefined;
}

/** Each loss type's aggregation of the masked per-token losses [B, T]. A new loss type is a name in LOSS_TYPES and an entry here. */
const LOSS_AGGREGATION: { readonly [T in LossType]: (masked: Tensor, m: Tensor, c: AggregationContext) => Tensor } = {
  grpo: (masked, m, c) => div(sum(div(sum(masked, 1), maximum(sum(m, 1), 1))), c.batch * c.microBatches),
  bnpo: (masked, m, c) => div(div(sum(masked), maximum(sum(m), 1)), c.microBatches),
  dr_grpo: (masked, _m, c) => div(sum(masked), c.batch * c.maxCompletionLength * c.microBatches),
  dapo: (masked, m, c) => {
    const g = c.globalActiveTokens;
    if (g === undefined) return div(sum(masked), maximum(sum(m), 1));
    return div(sum(masked), typeof g === "number" ? Math.max(g, 1) : maximum(g, 1));
  },
};

/** perToken and mask [B, T] -> the scalar loss. */
export function aggregateLoss(perToken: Tensor, mask: Tensor, { lossType, maxCompletionLength, globalActiveTokens, microBatches = 1 }: AggregationOptions): Tensor {
  return tidy(() => LOSS_AGGREGATION[lossType](mul(perToken, mask), mask, { batch: mask.shape[0], maxCompletionLength, microBatches, globalActiveTokens }));
}

/** sum(x m) / max(sum(m), 1) */
export function maskedMean(x: Tensor, m: Tensor): Tensor {
  return tidy(() => div(sum(mul(x, m)), maximum(sum(m), 1)));
}
