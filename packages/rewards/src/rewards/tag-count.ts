/** tagCount (docs/rewards.md): +0.25 for each of `<think>\n`, `\n</think>\n`, `\n<answer>\n`, `\n</answer>` that occurs exactly once. */
import { defineReward } from "@r1ts/core";

const TAGS = ["<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>"];

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) count++;
  return count;
}

export function tagCountScore(completion: string): number {
  return TAGS.reduce((score, tag) => score + (occurrences(completion, tag) === 1 ? 0.25 : 0), 0);
}

export const tagCountReward = defineReward({
  name: "tagCount",
  module: import.meta.url,
  description: "+0.25 for each of <think>\\n, \\n</think>\\n, \\n<answer>\\n, \\n</answer> present exactly once",
  score: (batch) => batch.completions.map(tagCountScore),
});
