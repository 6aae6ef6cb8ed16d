/** SFT's options: every trainer's, plus the batch (docs/training.md). One schema for configs and code. */
import { z } from "zod";
import { R1tsError } from "../../errors.ts";
import { parseTrainerOptions, trainerLoopSchema } from "../trainer-options.ts";

const int = (min = 0) => z.number().int().min(min);

export const sftOptionsSchema = trainerLoopSchema.extend({
  /** Rows per optimizer step. */
  batchSize: int(1),
  /** Micro-batches per step (must divide batchSize). */
  gradientAccumulation: int(1).default(1),
  /** Also learn the prompt tokens (pre-training); default false (completion only). */
  includePrompt: z.boolean().default(false),
  /** The padding token (right padding; masked out of the loss). */
  padId: int().default(0),
}).strict();

export type SftConfig = z.input<typeof sftOptionsSchema>;
export type ResolvedSftConfig = z.output<typeof sftOptionsSchema>;

/** A bad SFT config or data. */
export class SftError extends R1tsError {}

export function resolveSftConfig(config: SftConfig, prefix = "sft", Error: new (m: string) => R1tsError = SftError): ResolvedSftConfig {
  const c = parseTrainerOptions(sftOptionsSchema, config, prefix, Error);
  if (c.batchSize % c.gradientAccumulation !== 0) throw new Error(`${prefix}.gradientAccumulation must be a positive divisor of batchSize (${c.batchSize}), got ${c.gradientAccumulation}`);
  return c;
}
