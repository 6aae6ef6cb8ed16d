/** Finding the final answer in a completion: the last `\boxed{...}`, else the last `<answer>` block. */
import { lastBoxed } from "@r1ts/core";

/** The content of the last `\boxed{...}` (or `\fbox{...}`), braces balanced; null if there is none (from @r1ts/core, where datasets use it too). */
export { lastBoxed };

/** The content of the last complete `<answer>...</answer>` block, trimmed; null if there is none. */
export function lastAnswerTag(text: string): string | null {
  const matches = [...text.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
  return matches.length === 0 ? null : matches[matches.length - 1][1].trim();
}

/** docs/rewards.md accuracy: the last `\boxed{}` anywhere, else the `<answer>` content; null if neither. */
export function extractFinalAnswer(text: string): string | null {
  const boxed = lastBoxed(text);
  if (boxed !== null) return boxed.trim();
  return lastAnswerTag(text);
}

/** The chain of thought: the content of the first `<think>` block (to `</think>` or the end); null without one. */
export function thinkContent(text: string): string | null {
  const start = text.indexOf("<think>");
  if (start < 0) return null;
  const end = text.indexOf("</think>", start);
  return text.slice(start + "<think>".length, end < 0 ? undefined : end);
}
