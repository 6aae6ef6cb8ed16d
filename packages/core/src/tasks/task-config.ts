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
  /**
   * A JSONL or Parquet file of rows, or a Hugging Face dataset folder (split shards such as
   * data/train-00000-of-00001.parquet, config folders such as GSM8K's main/); relative to the config file.
   */
  train: z.string().min(1),
  /** The split of a `train` folder (default "train"). */
  split: z.string().min(1).default("train"),
  /** The config (subset) folder of a dataset folder that has several, e.g. GSM8K's "main". */
  subset: z.string().min(1).optional(),
  /** Held-out rows (evaluation): a file or a dataset folder; default: none (or `evalSplit` of `train`). */
  eval: z.string().min(1).optional(),
  /** The split of the held-out rows in a dataset folder (default "test"; without `eval`, a split of `train`). */
  evalSplit: z.string().min(1).optional(),
  /** The column with the question or conversation (default: the first of prompt, question, problem). */
  promptColumn: z.string().min(1).optional(),
  /** The column with the gold answer (default: the first of answer, solution). */
  answerColumn: z.string().min(1).optional(),
  /** How the gold answer is written: GSM8K's "#### 42", MATH's \boxed{}, plain, or auto (default). */
  answerFormat: z.enum(["auto", "gsm8k", "math", "plain"]).default("auto"),
  /** SFT: the column with the target completion. */
  completionColumn: z.string().min(1).default("completion"),
  /**
   * How prompts are shown to the model: "chat" (the model's chat template, a conversation or the text as
   * a user turn), "r1-zero" (the R1-Zero template), "raw". Default: chat for conversations, else by `template`.
   */
  promptFormat: z.enum(["chat", "r1-zero", "raw"]).optional(),
  /** A system turn before every prompt (promptFormat chat). */
  systemPrompt: z.string().optional(),
  /** Without promptFormat: wrap text prompts in the R1-Zero template (default true) or use them raw. */
  template: z.boolean().default(true),
}).strict();

export type TaskConfig = z.output<typeof taskSchema>;
export type DataConfig = z.output<typeof dataSchema>;
