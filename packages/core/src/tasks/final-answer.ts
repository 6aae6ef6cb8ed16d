/**
 * Finding the final answer in a completion (the accuracy reward's rule, docs/rewards.md; evaluation's maj@N): the
 * last `\boxed{...}`, else the last `<answer>` block.
 */
import { lastBoxed } from "../data/answer-extractors.ts";

/** The content of the last complete `<answer>...</answer>` block, trimmed; null if there is none. */
export function lastAnswerTag(text: string): string | null {
  const matches = [...text.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
  return matches.length === 0 ? null : matches[matches.length - 1][1].trim();
}

/** The accuracy reward's answer: the last `\boxed{}` anywhere, else the `<answer>` content; null if neither. */
export function extractFinalAnswer(text: string): string | null {
  const boxed = lastBoxed(text);
  if (boxed !== null) return boxed.trim();
  return lastAnswerTag(text);
}

