/**
 * The self-check reward: 1 when the chain of thought checks its own answer (the R1 paper's "aha moment":
 * the model learns to re-evaluate its steps), judged by verification phrases; 0 otherwise; null when the
 * completion has no <think> block (nothing to judge).
 */
import { defineReward, z } from "@r1ts/core";

export const DEFAULT_PHRASES = ["let me check", "let me verify", "double-check", "verify", "check:", "wait,", "substitute back", "sanity check"];

export const selfCheckOptions = z.object({
  /** Phrases that count as checking (case-insensitive). */
  phrases: z.array(z.string().min(1)).min(1).default(DEFAULT_PHRASES),
  /** How many distinct phrases earn the full reward; fewer earn a proportional share. */
  needed: z.number().int().positive().default(1),
}).strict();

export function selfCheckScore(completion: string, phrases: readonly string[], needed = 1): number | null {
  const match = /<think>([\s\S]*?)(?:<\/think>|$)/.exec(completion);
  if (match === null) return null;
  const thought = match[1].toLowerCase();
  const found = phrases.filter((p) => thought.includes(p.toLowerCase())).length;
  return Math.min(1, found / needed);
}

export const selfCheckReward = defineReward({
  name: "self-check",
  description: "1 when the chain of thought checks its own answer (verification phrases), else 0; null without <think>",
  options: selfCheckOptions,
  score: (batch, { options }) => batch.completions.map((c) => selfCheckScore(c, options.phrases, options.needed)),
});
