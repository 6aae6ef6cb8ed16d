/**
 * How per-token losses l over the completion mask m become one number (`lossType`, docs/grpo.md):
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

export type LossType = "grpo" | "bnpo" | "dr_grpo" | "dapo";

export const LOSS_TYPES: readonly LossType[] = ["grpo", "bnpo", "dr_grpo", "dapo"];

export interface AggregationOptions {
  lossType: LossType;
  /** dr_grpo's constant normaliser is B x maxCompletionLength. */
  maxCompletionLength: number;
  /** dapo: active tokens of the whole accumulated batch (default: this batch's). */
  globalActiveTokens?: number;
  /** Micro-batches accumulated into one optimizer step (default 1). */
  microBatches?: number;
}

/** perToken and mask [B, T] -> the scalar loss. */
export function aggregateLoss(perToken: Tensor, mask: Tensor, { lossType, maxCompletionLength, globalActiveTokens, microBatches = 1 }: AggregationOptions): Tensor {
  return tidy(() => {
    const [b] = mask.shape;
    const masked = mul(perToken, mask);
    switch (lossType) {
      case "grpo":
        return div(sum(div(sum(masked, 1), maximum(sum(mask, 1), 1))), b * microBatches);
      case "bnpo":
        return div(div(sum(masked), maximum(sum(mask), 1)), microBatches);
      case "dr_grpo":
        return div(sum(masked), b * maxCompletionLength * microBatches);
      case "dapo":
        return globalActiveTokens === undefined ? div(sum(masked), maximum(sum(mask), 1)) : div(sum(masked), Math.max(globalActiveTokens, 1));
    }
  });
}

/** sum(x m) / max(sum(m), 1) */
export function maskedMean(x: Tensor, m: Tensor): Tensor {
  return tidy(() => div(sum(mul(x, m)), maximum(sum(m), 1)));
}
