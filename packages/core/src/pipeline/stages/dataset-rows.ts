/**
 * SFT rows from a dataset artifact (a JSONL or Parquet file, or one split of a Hugging Face dataset folder:
 * data/hf-dataset.ts): prompt and completion columns, tokenized, EOS
 * appended. The prompt goes into the R1-Zero template (`template`), or, with `chat`, into the model's chat
 * template with its generation prompt (a text as one user turn, a conversation as it is).
 */
import type { ChatMessage } from "../../data/chat-template.ts";
import { HfPromptTokenizer } from "../../data/hf-tokenizer.ts";
import { readHfDataset } from "../../data/hf-dataset.ts";
import type { ModelBundle } from "../../run/model-bundle.ts";
import { r1ZeroPrompt } from "../../tasks/template.ts";
import type { SequenceRow } from "../../train/sequence-batch.ts";
import { StageError } from "../errors.ts";
import type { StageContext } from "../stage.ts";
import { previewValue } from "../../util/preview.ts";

/** What encoding needs of a bundle. */
export type EncodingModel = Pick<ModelBundle, "tokenizer" | "eosTokenId"> & { model: { config: { maxSeqLen: number } } };

export interface DatasetColumns {
  promptColumn: string;
  completionColumn: string;
  /** Put the prompt column into the R1-Zero template. */
  template: boolean;
  /** Render the prompt column with the model's chat template (an HF tokenizer's). */
  chat?: boolean;
  /** Leave out rows longer than the model's context instead of failing (their count is returned). */
  dropTooLong?: boolean;
  /** Leave out rows without a completion (held-out rows of a task that only some rows have completions for). */
  skipIncomplete?: boolean;
  /** When `file` is a dataset folder: the split to read (default "train") and its config (subset) folder. */
  split?: string;
  subset?: string;
}

export interface DatasetSequenceRows {
  rows: SequenceRow[];
  /** Rows left out for being longer than maxSeqLen + 1 tokens (with dropTooLong). */
  dropped: number;
}

/** The rows of dataset `file` (named `label` in errors, e.g. `input "data"`). */
export async function datasetSequenceRows(ctx: StageContext, file: string, label: string, bundle: EncodingModel, columns: DatasetColumns): Promise<DatasetSequenceRows> {
  const { rows } = await readHfDataset(file, { split: columns.split, config: columns.subset });
  if (rows.length === 0) throw new StageError(ctx.id, ctx.stage, `${label} (${file}) has no rows; the stage that made it kept nothing (see its stage.json)`);
  const limit = bundle.model.config.maxSeqLen + 1;
  const chat = columns.chat ? bundle.tokenizer : undefined;
  if (chat && !(chat instanceof HfPromptTokenizer)) throw new StageError(ctx.id, ctx.stage, `chat prompts need a model with a chat template (a Hugging Face model); this one has r1ts's own tokenizer`);
  const out: SequenceRow[] = [];
  rows.forEach((row, i) => {
    const where = `${label} (${file}), row ${i + 1}`;
    const value = row[columns.promptColumn];
    const completion = row[columns.completionColumn];
    const conversation = chat && Array.isArray(value) ? (value as ChatMessage[]) : undefined;
    const prompt = chat ? chatPrompt(chat, conversation ?? [{ role: "user", content: value }], where, ctx) : value;
    if (typeof prompt !== "string") throw new StageError(ctx.id, ctx.stage, `${where}: column "${columns.promptColumn}" must be a string, got ${(prompt === undefined ? "nothing" : previewValue(prompt, 60))}`);
    if (typeof completion !== "string" && columns.skipIncomplete) return;
    if (typeof completion !== "string") throw new StageError(ctx.id, ctx.stage, `${where}: column "${columns.completionColumn}" must be a string, got ${(completion === undefined ? "nothing" : previewValue(completion, 60))}`);
    let seq: SequenceRow;
    try {
      seq = { prompt: bundle.tokenizer.encode(columns.template && !chat ? r1ZeroPrompt(prompt) : prompt), completion: [...bundle.tokenizer.encode(completion), bundle.eosTokenId] };
    } catch (error) {
      throw new StageError(ctx.id, ctx.stage, `${where}: the model's tokenizer cannot encode it (${(error as Error).message})`);
    }
    const n = seq.prompt.length + seq.completion.length;
    if (n <= limit) out.push(seq);
    else if (!columns.dropTooLong) throw new StageError(ctx.id, ctx.stage, `${where}: ${n} tokens, more than the model's maxSeqLen ${bundle.model.config.maxSeqLen} + 1 (dropTooLong: true leaves such rows out)`);
  });
  if (out.length === 0 && !columns.skipIncomplete) throw new StageError(ctx.id, ctx.stage, `${label} (${file}): every row is longer than the model's maxSeqLen ${bundle.model.config.maxSeqLen} + 1`);
  if (out.length < rows.length) ctx.log(`${label}: left out ${rows.length - out.length} of ${rows.length} rows longer than maxSeqLen ${bundle.model.config.maxSeqLen} + 1`);
  return { rows: out, dropped: rows.length - out.length };
}

function chatPrompt(tokenizer: HfPromptTokenizer, messages: ChatMessage[], where: string, ctx: StageContext): string {
  try {
    return tokenizer.hf.applyChatTemplate(messages, { addGenerationPrompt: true });
  } catch (error) {
    throw new StageError(ctx.id, ctx.stage, `${where}: ${(error as Error).message}`);
  }
}

/** Steps of `epochs` passes over `rows` rows in batches of `batchSize` (rounded up). */
export const stepsForEpochs = (epochs: number, rows: number, batchSize: number): number => Math.max(1, Math.ceil((epochs * rows) / batchSize));
