/**
 * A step's rollouts as the update's micro-batches: prompt + completion rows packed with the completion
 * tokens in their own columns (completion-batch.ts), truncated completions masked when asked, and
 * per-row or per-token values (advantages, the sampler's log-probs) laid out in those columns.
 */
import { tensor } from "../../ops/creation.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { type CompletionBatch, packCompletions, padCompletions } from "../completion-batch.ts";
import type { CompletionTensors } from "../completion-log-probs.ts";
import type { RolloutGroups } from "./rollout-groups.ts";

export interface GrpoMicroBatch {
  readonly batch: CompletionBatch;
  /** Index of each of its rows in the step's rollouts. */
  readonly rows: readonly number[];
  /** [B] (one per sequence) or [B * completionWidth] (per token: reinforce++ with the KL in the reward). */
  advantages: Float32Array;
  /** Frozen passes and weights, made before the update (no gradient). */
  oldLogProbs?: Tensor;
  refLogProbs?: Tensor;
  rolloutWeights?: Tensor;
  entropyMask?: Tensor;
}

export interface MicroBatchOptions {
  microBatchSize: number | undefined;
  padId: number;
  /** Give completions that hit the length limit no loss weight. */
  maskTruncated: boolean;
  /** Widen each micro-batch to these widths (captured updates: bucketed), given its own. */
  padTo?: (width: number, completionWidth: number) => [number, number];
}

/** The rollouts in micro-batches of microBatchSize rows (all rows when absent), advantages not yet set. */
export function packMicroBatches(r: RolloutGroups, { microBatchSize, padId, maskTruncated, padTo }: MicroBatchOptions): GrpoMicroBatch[] {
  const rows = r.completionIds.map((completion, i) => ({ prompt: r.promptIds[Math.floor(i / r.groupSize)], completion }));
  const size = microBatchSize ?? rows.length;
  const micro: GrpoMicroBatch[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const packed = packCompletions(rows.slice(start, start + size), { padId });
    const batch = padTo ? padCompletions(packed, ...padTo(packed.width, packed.completionWidth), padId) : packed;
    const indices = Array.from({ length: batch.batch }, (_, b) => start + b);
    if (maskTruncated) {
      indices.forEach((row, b) => {
        if (r.finishReasons[row] !== "length") return;
        batch.mask.fill(0, b * batch.completionWidth, (b + 1) * batch.completionWidth);
      });
      batch.activeTokens = batch.mask.reduce((a, v) => a + v, 0);
    }
    micro.push({ batch, rows: indices, advantages: new Float32Array(batch.batch) });
  }
  return micro;
}

/** Per-row values (each row's list over its completion tokens) in a micro-batch's completion columns [B * completionWidth]. */
export function layoutTokens(values: readonly (ArrayLike<number> | undefined)[], m: GrpoMicroBatch): Float32Array {
  const { completionWidth: w } = m.batch;
  const out = new Float32Array(m.batch.batch * w);
  m.rows.forEach((row, b) => {
    const v = values[row];
    if (v) for (let j = 0; j < Math.min(v.length, w); j++) out[b * w + j] = v[j];
  });
  return out;
}

/** A micro-batch's values in its completion columns, back as one list per row (the row's completion tokens). */
export function rowsOfTokens(values: ArrayLike<number>, m: GrpoMicroBatch, lengths: readonly number[]): number[][] {
  const w = m.batch.completionWidth;
  return m.rows.map((row, b) => Array.from({ length: lengths[row] }, (_, j) => values[b * w + j]));
}

/** The micro-batch's arrays as tensors (inputs, positions, targets, mask). */
export function completionTensors(b: CompletionBatch): CompletionTensors & { mask: Tensor } {
  return {
    inputs: tensor(b.inputs, [b.batch, b.width], "i32"),
    positions: tensor(b.positions, [b.batch * b.completionWidth], "i32"),
    targets: tensor(b.targets, [b.batch, b.completionWidth], "i32"),
    mask: tensor(b.mask, [b.batch, b.completionWidth], "f32"),
  };
}
