/**
 * accuracy (docs/rewards.md): the final answer (last `\boxed{}`, else `<answer>` content) is mathematically
 * equivalent to the gold answer: 1, else 0. null when the gold answer is missing or cannot be parsed.
 */
import { defineReward, z } from "@r1ts/core";
import type { RewardBatch } from "@r1ts/core";
import { mathEquivalent } from "../math/equivalence.ts";
import { extractFinalAnswer, lastBoxed } from "../text/extract-answer.ts";

export const accuracyOptions = z.object({
  /** The dataset column holding the gold answer. */
  answerColumn: z.string().min(1).default("answer"),
}).strict();

/** 1 / 0 / null per row: is the completion's final answer equivalent to the gold answer? */
export function accuracyScores(batch: RewardBatch, answerColumn: string): (number | null)[] {
  const gold = batch.columns[answerColumn];
  return batch.completions.map((completion, i) => {
    const raw = gold?.[i];
    if (raw === undefined || raw === null || (typeof raw !== "string" && typeof raw !== "number")) return null;
    const goldText = typeof raw === "number" ? String(raw) : (lastBoxed(raw) ?? raw);
    const predicted = extractFinalAnswer(completion);
    const verdict = mathEquivalent(predicted ?? "", goldText);
    if (verdict === null) return null;
    return predicted !== null && verdict ? 1 : 0;
  });
}

export const accuracyReward = defineReward({
  name: "accuracy",
  module: import.meta.url,
  description: "1 if the last \\boxed{} (else <answer>) is mathematically equivalent to the gold answer, else 0; null when the gold answer cannot be parsed",
  options: accuracyOptions,
  score: (batch, { options }) => accuracyScores(batch, options.answerColumn),
});
