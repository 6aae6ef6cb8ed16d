/**
 * What plugins contribute besides rewards and backends: pipeline stages and tokenizers. These are the
 * minimal contracts the container needs (a name to register under); the pipeline and data modules
 * refine what a stage or tokenizer does.
 */
import type { z } from "zod";

export interface StageDefinition<O = any, Ctx = any, Out = any> {
  /** The stage's name in pipeline configs (`sft`, `grpo`, `rejection-sampling`, ...). */
  readonly name: string;
  readonly description?: string;
  readonly options?: z.ZodType<O>;
  run(context: Ctx, options: O): Promise<Out>;
}

export type { TokenizerFactory } from "../data/tokenizer.ts";
