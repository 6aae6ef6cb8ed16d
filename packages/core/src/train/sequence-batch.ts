/**
 * Prompt + completion rows packed into one right-padded batch for next-token training:
 * inputs[b, t] = row[t], targets[b, t] = row[t + 1], and a mask that is 1 where the target is a token
 * the loss counts (completion tokens; with `includePrompt`, prompt tokens after the first too).
 * Right padding keeps every row at positions 0.. and, with causal attention, no real token sees padding.
 */
import { ShapeError } from "../errors.ts";
import { tensor } from "../ops/creation.ts";
import type { Tensor } from "../tensor/tensor.ts";

export interface SequenceRow {
  prompt: readonly number[];
  completion: readonly number[];
}

export interface SequenceBatch {
  batch: number;
  /** Columns: the longest row's length - 1. */
  width: number;
  inputs: Int32Array;
  targets: Int32Array;
  /** 1 where the target counts in the loss, else 0 [batch, width]. */
  mask: Float32Array;
  /** Number of 1s in the mask. */
  activeTokens: number;
}

export function packSequences(rows: readonly SequenceRow[], { padId = 0, includePrompt = false }: { padId?: number; includePrompt?: boolean } = {}): SequenceBatch {
  if (rows.length === 0) throw new ShapeError("packSequences: no rows");
  const lengths = rows.map((r, i) => {
    const n = r.prompt.length + r.completion.length;
    if (n < 2) throw new ShapeError(`packSequences: row ${i} has ${n} tokens; need at least 2 (prompt + completion)`);
    return n;
  });
  const width = Math.max(...lengths) - 1;
  const batch = rows.length;
  const inputs = new Int32Array(batch * width).fill(padId);
  const targets = new Int32Array(batch * width).fill(padId);
  const mask = new Float32Array(batch * width);
  let activeTokens = 0;
  rows.forEach((row, b) => {
    const seq = [...row.prompt, ...row.completion];
    const first = includePrompt ? 1 : Math.max(1, row.prompt.length);
    for (let t = 0; t < seq.length - 1; t++) {
      inputs[b * width + t] = seq[t];
      targets[b * width + t] = seq[t + 1];
      if (t + 1 >= first) {
        mask[b * width + t] = 1;
        activeTokens++;
      }
    }
  });
  return { batch, width, inputs, targets, mask, activeTokens };
}

/** A packed batch as tensors: inputs and targets i32 [batch, width], mask f32 [batch, width]. */
export interface BatchTensors {
  inputs: Tensor;
  targets: Tensor;
  mask: Tensor;
}

export function batchTensors(b: SequenceBatch): BatchTensors {
  return {
    inputs: tensor(b.inputs, [b.batch, b.width], "i32"),
    targets: tensor(b.targets, [b.batch, b.width], "i32"),
    mask: tensor(b.mask, [b.batch, b.width], "f32"),
  };
}

/**
 * The micro-batches of one supervised step: `batchSize` rows drawn with replacement by `rng`, split into
 * `accumulation` equal micro-batches (accumulation divides batchSize), each right-padded.
 */
export function drawMicroBatches(rows: readonly SequenceRow[], rng: { int(n: number): number }, batchSize: number, accumulation: number, pack: { padId?: number; includePrompt?: boolean }): SequenceBatch[] {
  const picked = Array.from({ length: batchSize }, () => rows[rng.int(rows.length)]);
  const size = batchSize / accumulation;
  return Array.from({ length: accumulation }, (_, i) => packSequences(picked.slice(i * size, (i + 1) * size), pack));
}

/** Why rows cannot train a model of context `maxSeqLen` (empty, a row too long), or undefined. */
export function rowsProblem(rows: readonly SequenceRow[], maxSeqLen: number): string | undefined {
  if (rows.length === 0) return "the training set is empty";
  for (let i = 0; i < rows.length; i++) {
    const n = rows[i].prompt.length + rows[i].completion.length;
    if (n - 1 > maxSeqLen) return `row ${i} has ${n} tokens, more than the model's maxSeqLen ${maxSeqLen} + 1`;
  }
  return undefined;
}

/**
 * `b` right-padded to `width` columns (padding tokens with mask 0): the loss, which counts masked-in
 * targets only and sees no padding through causal attention, is unchanged. Captured updates pad to a
 * few bucketed widths (`lengthBucket`) so that one graph serves many steps.
 */
export function padBatch(b: SequenceBatch, width: number, padId = 0): SequenceBatch {
  if (width < b.width) throw new ShapeError(`padBatch: width ${width} is narrower than the batch (${b.width})`);
  if (width === b.width) return b;
  const inputs = new Int32Array(b.batch * width).fill(padId);
  const targets = new Int32Array(b.batch * width).fill(padId);
  const mask = new Float32Array(b.batch * width);
  for (let r = 0; r < b.batch; r++) {
    inputs.set(b.inputs.subarray(r * b.width, (r + 1) * b.width), r * width);
    targets.set(b.targets.subarray(r * b.width, (r + 1) * b.width), r * width);
    mask.set(b.mask.subarray(r * b.width, (r + 1) * b.width), r * width);
  }
  return { batch: b.batch, width, inputs, targets, mask, activeTokens: b.activeTokens };
}
