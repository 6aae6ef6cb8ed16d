/**
 * countdown (TinyZero, docs/rewards.md): the last `<answer>...</answer>` must be an equation using each given
 * number exactly once that evaluates to the target. No answer: 0. Malformed, other numbers, or a wrong
 * value: formatScore (0.1). |value - target| < 1e-5: score (1.0). null when the row has no target or numbers.
 */
import { defineReward, z } from "@r1ts/core";
import { evaluateArithmetic } from "../countdown/arithmetic.ts";
import { lastAnswerTag } from "../text/extract-answer.ts";

export const countdownOptions = z.object({
  targetColumn: z.string().min(1).default("target"),
  numbersColumn: z.string().min(1).default("nums"),
  formatScore: z.number().default(0.1),
  score: z.number().default(1.0),
}).strict();

function numberList(value: unknown): number[] | null {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  return value as number[];
}

export function countdownScore(completion: string, target: number, numbers: readonly number[], formatScore = 0.1, score = 1.0): number {
  const equation = lastAnswerTag(completion);
  if (equation === null) return 0;
  const used = (equation.match(/\d+/g) ?? []).map(Number).sort((a, b) => a - b);
  const given = [...numbers].sort((a, b) => a - b);
  if (used.length !== given.length || used.some((n, i) => n !== given[i])) return formatScore;
  const value = evaluateArithmetic(equation);
  if (value === null) return formatScore;
  return Math.abs(value - target) < 1e-5 ? score : formatScore;
}

export const countdownReward = defineReward({
  name: "countdown",
  module: import.meta.url,
  description: "TinyZero Countdown: 1.0 if the <answer> equation uses each number once and hits the target, 0.1 if malformed or wrong, 0 without an answer",
  options: countdownOptions,
  score: (batch, { options }) => batch.completions.map((completion, i) => {
    const target = batch.columns[options.targetColumn]?.[i];
    const numbers = numberList(batch.columns[options.numbersColumn]?.[i]);
    if (typeof target !== "number" || !Number.isFinite(target) || numbers === null) return null;
    return countdownScore(completion, target, numbers, options.formatScore, options.score);
  }),
});
