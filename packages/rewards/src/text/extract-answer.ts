/** Finding the final answer in a completion (core's tasks/final-answer.ts), and the chain of thought. */
export { extractFinalAnswer, lastAnswerTag, lastBoxed } from "@r1ts/core";

/** The chain of thought: the content of the first `<think>` block (to `</think>` or the end); null without one. */
export function thinkContent(text: string): string | null {
  const start = text.indexOf("<think>");
  if (start < 0) return null;
  const end = text.indexOf("</think>", start);
  return text.slice(start + "<think>".length, end < 0 ? undefined : end);
}
