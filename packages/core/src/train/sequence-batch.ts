/**
 * Prompt + completion rows packed into one right-padded batch for next-token training:
 * inputs[b, t] = row[t], targets[b, t] = row[t + 1], and a mask that is 1 where the target is a token
 * the loss counts (completion tokens; with `includePrompt`, prompt tokens after the first too).
 * Right padding keeps every row at positions 0.. and, with causal attention, no real token sees padding.
 */
import { ShapeError } from "../errors.ts";

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
