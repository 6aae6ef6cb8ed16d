/**
 * repetition (docs/rewards.md): n-gram repetition penalty over lower-cased whitespace-separated words:
 * (1 - unique n-grams / total n-grams) * maxPenalty; 0 for an empty text or fewer than n words.
 */
import { defineReward, z } from "@r1ts/core";

export const repetitionOptions = z.object({
  ngramSize: z.number().int().positive().default(3),
  maxPenalty: z.number().max(0, "maxPenalty must be <= 0 (it is a penalty)").default(-1.0),
}).strict();

export function repetitionPenalty(text: string, ngramSize = 3, maxPenalty = -1): number {
  const words = text.toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (words.length < ngramSize) return 0;
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i + ngramSize <= words.length; i++) {
    seen.add(words.slice(i, i + ngramSize).join("\u0000"));
    total++;
  }
  const penalty = (1 - seen.size / total) * maxPenalty;
  return penalty === 0 ? 0 : penalty; // never -0
}

export const repetitionReward = defineReward({
  name: "repetition",
  module: import.meta.url,
  description: "n-gram repetition penalty: (1 - unique/total n-grams of words) * maxPenalty",
  options: repetitionOptions,
  score: (batch, { options }) => batch.completions.map((c) => repetitionPenalty(c, options.ngramSize, options.maxPenalty)),
});
