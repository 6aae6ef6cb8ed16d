/**
 * Prompt + completion rows laid out for a loss over completion tokens only (GRPO's): the full
 * sequences right-padded into `inputs` [B, width] for the forward pass, and the completion tokens in
 * completion-aligned columns [B, completionWidth] (column j is the row's j-th completion token),
 * with `positions` naming the hidden state that predicts each of them. A model then applies its
 * output head to those hidden states only: no vocabulary-sized logits for prompt positions (TRL's
 * logits_to_keep), and the sampler's per-token log-probs line up with the columns as they come.
 */
import { ShapeError } from "../errors.ts";

export interface CompletionRow {
  prompt: readonly number[];
  completion: readonly number[];
}

export interface CompletionBatch {
  batch: number;
  /** Columns of `inputs`: the longest prompt + completion, minus one. */
  width: number;
  /** Columns of the completion-aligned arrays: the longest completion. */
  completionWidth: number;
  /** [batch, width]: token t of each sequence (prompt then completion), right-padded. */
  inputs: Int32Array;
  /**
   * [batch * completionWidth]: the flat index b * width + t of the hidden state that predicts completion
   * token j of row b (t = promptLength - 1 + j); padding columns repeat the row's last real position.
   */
  positions: Int32Array;
  /** [batch, completionWidth]: the completion tokens, padded. */
  targets: Int32Array;
  /** [batch, completionWidth]: 1 for a completion token that counts, 0 for padding. */
  mask: Float32Array;
  /** Number of 1s in the mask. */
  activeTokens: number;
}

export function packCompletions(rows: readonly CompletionRow[], { padId = 0 }: { padId?: number } = {}): CompletionBatch {
  if (rows.length === 0) throw new ShapeError("packCompletions: no rows");
  rows.forEach((r, i) => {
    if (r.prompt.length === 0) throw new ShapeError(`packCompletions: row ${i} has an empty prompt (the first completion token needs a token before it)`);
  });
  const batch = rows.length;
  const width = Math.max(...rows.map((r) => r.prompt.length + r.completion.length)) - 1;
  const completionWidth = Math.max(1, ...rows.map((r) => r.completion.length));
  const inputs = new Int32Array(batch * width).fill(padId);
  const positions = new Int32Array(batch * completionWidth);
  const targets = new Int32Array(batch * completionWidth).fill(padId);
  const mask = new Float32Array(batch * completionWidth);
  let activeTokens = 0;
  rows.forEach((row, b) => {
    const seq = [...row.prompt, ...row.completion];
    for (let t = 0; t < seq.length - 1; t++) inputs[b * width + t] = seq[t];
    const last = Math.max(0, seq.length - 2);
    for (let j = 0; j < completionWidth; j++) {
      const at = b * completionWidth + j;
      if (j < row.completion.length) {
        positions[at] = b * width + row.prompt.length - 1 + j;
        targets[at] = row.completion[j];
        mask[at] = 1;
        activeTokens++;
      } else positions[at] = b * width + last;
    }
  });
  return { batch, width, completionWidth, inputs, positions, targets, mask, activeTokens };
}

/**
 * `b` widened to `width` sequence columns and `completionWidth` completion columns (padding masked out):
 * captured updates pad to bucketed widths so that a run builds a few graphs rather than one per width.
 */
export function padCompletions(b: CompletionBatch, width: number, completionWidth: number, padId = 0): CompletionBatch {
  if (width < b.width || completionWidth < b.completionWidth) {
    throw new ShapeError(`padCompletions: ${width} x ${completionWidth} is narrower than the batch (${b.width} x ${b.completionWidth})`);
  }
  if (width === b.width && completionWidth === b.completionWidth) return b;
  const inputs = new Int32Array(b.batch * width).fill(padId);
  const positions = new Int32Array(b.batch * completionWidth);
  const targets = new Int32Array(b.batch * completionWidth).fill(padId);
  const mask = new Float32Array(b.batch * completionWidth);
  for (let r = 0; r < b.batch; r++) {
    inputs.set(b.inputs.subarray(r * b.width, (r + 1) * b.width), r * width);
    targets.set(b.targets.subarray(r * b.completionWidth, (r + 1) * b.completionWidth), r * completionWidth);
    mask.set(b.mask.subarray(r * b.completionWidth, (r + 1) * b.completionWidth), r * completionWidth);
    // Positions move with the wider rows; the new columns repeat the row's last position (masked out).
    for (let j = 0; j < completionWidth; j++) {
      const old = b.positions[r * b.completionWidth + Math.min(j, b.completionWidth - 1)];
      positions[r * completionWidth + j] = r * width + (old - r * b.width);
    }
  }
  return { batch: b.batch, width, completionWidth, inputs, positions, targets, mask, activeTokens: b.activeTokens };
}
