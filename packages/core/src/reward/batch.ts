/** Checks and builds reward batches. */
import { RewardBatchError } from "./errors.ts";
import type { RewardBatch } from "./reward.ts";
import { previewValue } from "../util/preview.ts";

/** The number of rows; throws naming the first field whose length differs from `completions`. */
export function batchSize(batch: RewardBatch): number {
  const n = batch.completions.length;
  const check = (what: string, length: number) => {
    if (length !== n) throw new RewardBatchError(`reward batch: ${what} has ${length} entries but there are ${n} completions`);
  };
  check("prompts", batch.prompts.length);
  if (batch.completionIds !== undefined) check("completionIds", batch.completionIds.length);
  for (const [name, values] of Object.entries(batch.columns)) {
    if (!Array.isArray(values)) throw new RewardBatchError(`reward batch: column "${name}" is not an array`);
    check(`column "${name}"`, values.length);
  }
  return n;
}

/** Rows as objects (`{ prompt, completion, answer, ... }`) to one batch; every key but those two becomes a column. */
export function batchFromRows(rows: readonly Record<string, unknown>[], options: { idsKey?: string } = {}): RewardBatch {
  const idsKey = options.idsKey ?? "completionIds";
  const columns: Record<string, unknown[]> = {};
  for (const row of rows) for (const key of Object.keys(row)) if (key !== "prompt" && key !== "completion" && key !== idsKey) columns[key] ??= [];
  for (const [key, values] of Object.entries(columns)) for (const row of rows) values.push(row[key]);
  const hasIds = rows.length > 0 && rows.every((r) => Array.isArray(r[idsKey]));
  return {
    prompts: rows.map((r, i) => stringField(r, "prompt", i)),
    completions: rows.map((r, i) => stringField(r, "completion", i)),
    ...(hasIds ? { completionIds: rows.map((r) => r[idsKey] as number[]) } : {}),
    columns,
  };
}

function stringField(row: Record<string, unknown>, key: string, index: number): string {
  const value = row[key];
  if (typeof value !== "string") throw new RewardBatchError(`reward batch: row ${index} has no string "${key}" (got ${previewValue(value)})`);
  return value;
}

/** Completion lengths: token counts when the batch has token ids, else characters (code points). */
export function completionLengths(batch: RewardBatch, unit: "auto" | "tokens" | "characters" = "auto"): number[] {
  if (unit === "tokens" || (unit === "auto" && batch.completionIds !== undefined)) {
    if (batch.completionIds === undefined) throw new RewardBatchError("reward batch: lengths in tokens were asked for but the batch has no completionIds");
    return batch.completionIds.map((ids) => ids.length);
  }
  return batch.completions.map((c) => [...c].length);
}
