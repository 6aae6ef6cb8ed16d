/**
 * length (Kimi 1.5, docs/rewards.md), over the batch: lambda_i = 0.5 - (len_i - min) / (max - min);
 * a correct completion gets lambda_i, a wrong one min(0, lambda_i); 0 for every row when all lengths are
 * equal. Correctness is the accuracy reward's; rows whose gold answer cannot be parsed get null (their
 * lengths still count for min and max).
 */
import { completionLengths, defineReward, z } from "@r1ts/core";
import type { RewardBatch } from "@r1ts/core";
import { accuracyScores } from "./accuracy.ts";
import { lengthUnitOption } from "./length-unit.ts";

export const lengthOptions = z.object({
  answerColumn: z.string().min(1).default("answer"),
  lengthUnit: lengthUnitOption,
}).strict();

/** Kimi 1.5's rule on given lengths and correctness (null correctness -> null). */
export function kimiLengthScores(lengths: readonly number[], correct: readonly (number | null)[]): (number | null)[] {
  const min = Math.min(...lengths);
  const max = Math.max(...lengths);
  return lengths.map((len, i) => {
    if (correct[i] === null) return null;
    if (max === min) return 0;
    const lambda = 0.5 - (len - min) / (max - min);
    return correct[i] === 1 ? lambda : Math.min(0, lambda);
  });
}

export function lengthScores(batch: RewardBatch, options: z.output<typeof lengthOptions>): (number | null)[] {
  if (batch.completions.length === 0) return [];
  return kimiLengthScores(completionLengths(batch, options.lengthUnit), accuracyScores(batch, options.answerColumn));
}

export const lengthReward = defineReward({
  name: "length",
  module: import.meta.url,
  description: "Kimi 1.5 length reward over the batch: correct -> 0.5 - (len - min)/(max - min), wrong -> min(0, that); 0 when all lengths are equal",
  options: lengthOptions,
  score: (batch, { options }) => lengthScores(batch, options),
});
