/**
 * cosine-scaled length reward (docs/rewards.md; "Demystifying Long CoT Reasoning", eq. 1):
 * v = a + 0.5 (b - a)(1 + cos(pi * len / maxLength)), len capped at maxLength. Correct: a = minCorrect,
 * b = maxCorrect (short correct -> maxCorrect). Wrong: a = maxWrong, b = minWrong (short wrong -> minWrong).
 * null where the gold answer cannot be parsed.
 */
import { completionLengths, defineReward, z } from "@r1ts/core";
import { accuracyScores } from "./accuracy.ts";
import { lengthUnitOption } from "./length-unit.ts";

export const cosineOptions = z.object({
  answerColumn: z.string().min(1).default("answer"),
  minCorrect: z.number().default(0.5),
  maxCorrect: z.number().default(1.0),
  minWrong: z.number().default(-1.0),
  maxWrong: z.number().default(-0.5),
  maxLength: z.number().positive().default(1000),
  lengthUnit: lengthUnitOption,
}).strict();

export type CosineOptions = z.output<typeof cosineOptions>;

export function cosineScaled(length: number, correct: boolean, o: Omit<CosineOptions, "answerColumn" | "lengthUnit">): number {
  const progress = Math.min(length, o.maxLength) / o.maxLength;
  const [a, b] = correct ? [o.minCorrect, o.maxCorrect] : [o.maxWrong, o.minWrong];
  return a + 0.5 * (b - a) * (1 + Math.cos(Math.PI * progress));
}

export const cosineReward = defineReward({
  name: "cosine",
  module: import.meta.url,
  description: "cosine-scaled length: short correct -> maxCorrect, long correct -> minCorrect, short wrong -> minWrong, long wrong -> maxWrong",
  options: cosineOptions,
  score: (batch, { options }) => {
    const lengths = completionLengths(batch, options.lengthUnit);
    return accuracyScores(batch, options.answerColumn).map((correct, i) => (correct === null ? null : cosineScaled(lengths[i], correct === 1, options)));
  },
});
