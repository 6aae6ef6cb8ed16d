/** The options of rejection sampling (the `rejection-sampling` stage, and the sampling half of `distill`; docs/r1-recipe.md). */
import { z } from "zod";

const int = (min = 0) => z.number().int().min(min);

export const readabilityFiltersSchema = z.object({
  /** Keep only completions in the R1 format. */
  format: z.boolean().default(true),
  /** Keep only chains of thought whose words are (mostly) in these scripts; false = off. */
  language: z.union([z.literal(false), z.object({
    scripts: z.array(z.string().min(1)).min(1).default(["Latin"]),
    minFraction: z.number().min(0).max(1).default(0.95),
  }).strict()]).default({ scripts: ["Latin"], minFraction: 0.95 }),
  /** Drop completions whose repeated word n-grams exceed this share; false = off. */
  repetition: z.union([z.literal(false), z.object({
    ngram: int(1).default(3),
    maxRepeated: z.number().min(0).max(1).default(0.5),
  }).strict()]).default({ ngram: 3, maxRepeated: 0.5 }),
  /** The rewards the filters read, when not the default ones (format, languageConsistency, repetition). */
  rewards: z.object({ format: z.string().min(1), language: z.string().min(1), repetition: z.string().min(1) }).partial().strict().optional(),
}).strict();

export const rejectionSamplingSchema = z.object({
  /** Distinct training prompts to sample (from the task's training split). */
  prompts: int(1),
  /** Completions per prompt (k). */
  samplesPerPrompt: int(1).default(8),
  temperature: z.number().min(0).default(1),
  topP: z.number().gt(0).max(1).default(1),
  /** Default: as many as fit after the longest prompt. */
  maxNewTokens: int(1).optional(),
  /**
   * Reward name -> the least score kept (inclusive). A null score (not applicable) fails. Default: the
   * run's correctness reward (`eval.correctness`) at 1, i.e. keep the correct completions.
   */
  thresholds: z.record(z.string(), z.number()).optional(),
  filters: readabilityFiltersSchema.default(readabilityFiltersSchema.parse({})),
  /** Drop completions that hit the token limit without an end-of-text token. */
  dropTruncated: z.boolean().default(true),
  /** Keep one of each set of identical completions of a prompt. */
  dedupe: z.boolean().default(true),
  /** The most completions kept per prompt (default: all that pass). */
  maxPerPrompt: int(1).optional(),
  /** Prompts generated at once (each with its k samples); progress is saved after each batch. */
  promptsPerBatch: int(1).default(32),
  seed: int().optional(),
}).strict();

export type ReadabilityFilters = z.output<typeof readabilityFiltersSchema>;
export type RejectionSamplingOptions = z.output<typeof rejectionSamplingSchema>;
/** ... with the thresholds resolved (the default taken from the run's evaluation settings). */
export type ResolvedRejectionSamplingOptions = RejectionSamplingOptions & { thresholds: Record<string, number> };

/**
 * The thresholds in force: the options' own, else the run's correctness reward (eval.correctness) at 1;
 * undefined when there are neither (no reward name is assumed).
 */
export function rejectionThresholds(options: Pick<RejectionSamplingOptions, "thresholds">, correctness: string | undefined | null): Record<string, number> | undefined {
  if (options.thresholds) return options.thresholds;
  return correctness ? { [correctness]: 1 } : undefined;
}
