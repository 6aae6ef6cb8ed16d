/**
 * Where a run's problems come from, as config: a built-in task (`task: { name: arithmetic | countdown }`)
 * or a dataset (`data: { train, eval, promptColumn, ... }`). `loadTask` (task-factory.ts) turns either
 * into a Task.
 */
import { z } from "zod";

const int = (min = 0) => z.number().int().min(min);

export const taskSchema = z.discriminatedUnion("name", [
  z.object({
    name: z.literal("arithmetic"),
    minDigits: int(1).default(2),
    maxDigits: int(1).default(3),
    operations: z.array(z.enum(["+", "-", "*"])).min(1).default(["+"]),
    heldOutFraction: z.number().gt(0).lt(1).default(0.1),
    seed: int().default(0),
  }).strict(),
  z.object({
    name: z.literal("countdown"),
    minNumbers: int(2).default(3),
    maxNumbers: int(2).default(4),
    maxNumber: int(2).default(99),
    maxTarget: int(1).default(100),
    heldOutFraction: z.number().gt(0).lt(1).default(0.1),
    seed: int().default(0),
  }).strict(),
]);

export const dataSchema = z.object({
  /** A JSONL or Parquet file of rows; relative paths are relative to the config file. */
  train: z.string().min(1),
  /** Held-out rows (evaluation); default: none. */
  eval: z.string().min(1).optional(),
  /** The column with the question (put into the R1-Zero template unless `template` is false). */
  promptColumn: z.string().min(1).default("prompt"),
  /** SFT: the column with the target completion. */
  completionColumn: z.string().min(1).default("completion"),
  /** Wrap the prompt column in the R1-Zero template (default true). */
  template: z.boolean().default(true),
}).strict();

export type TaskConfig = z.output<typeof taskSchema>;
export type DataConfig = z.output<typeof dataSchema>;
