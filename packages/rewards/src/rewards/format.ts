/** format (docs/rewards.md): 1 if the whole completion is `<think>\n...\n</think>\n<answer>\n...\n</answer>`, else 0. */
import { defineReward, z } from "@r1ts/core";

export const formatOptions = z.object({
  /** The prompt already ends with "<think>\n" (prefilled), so the completion starts inside the think block. */
  thinkPrefilled: z.boolean().default(false),
}).strict();

const FORMAT = /^<think>\n.*?\n<\/think>\n<answer>\n.*?\n<\/answer>$/s;

export function formatScore(completion: string, thinkPrefilled = false): number {
  return FORMAT.test(thinkPrefilled ? `<think>\n${completion}` : completion) ? 1 : 0;
}

export const formatReward = defineReward({
  name: "format",
  module: import.meta.url,
  description: "1 if the completion matches ^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$ (dot matches newline), else 0",
  options: formatOptions,
  score: (batch, { options }) => batch.completions.map((c) => formatScore(c, options.thinkPrefilled)),
});
