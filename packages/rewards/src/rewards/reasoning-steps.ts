/**
 * reasoningSteps (docs/rewards.md): counts step markers (`Step N:`, a numbered line `N.`, a line starting
 * with `-` or `*`, `First,` `Second,` `Next,` `Finally,`); reward min(1, count / steps), steps = 3.
 * Numbered lines are matched at the start of every line (the intent of `^\d+\.`), not only the first.
 */
import { defineReward, z } from "@r1ts/core";

export const reasoningStepsOptions = z.object({
  /** How many markers earn the full reward. */
  steps: z.number().int().positive().default(3),
}).strict();

const MARKERS = /Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,/gm;

export function countStepMarkers(completion: string): number {
  return completion.match(MARKERS)?.length ?? 0;
}

export const reasoningStepsReward = defineReward({
  name: "reasoningSteps",
  module: import.meta.url,
  description: "min(1, n / steps) where n counts 'Step N:', numbered lines, bullets and First/Second/Next/Finally",
  options: reasoningStepsOptions,
  score: (batch, { options }) => batch.completions.map((c) => Math.min(1, countStepMarkers(c) / options.steps)),
});
