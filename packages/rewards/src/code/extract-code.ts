/** The code in a completion: the last fenced block (```js, ```javascript or bare ```), else the `<answer>` content. */
import { lastAnswerTag } from "../text/extract-answer.ts";

export function extractCode(completion: string): string | null {
  const blocks = [...completion.matchAll(/```(?:javascript|js|mjs|jsx)?[ \t]*\r?\n([\s\S]*?)```/gi)];
  if (blocks.length > 0) return blocks[blocks.length - 1][1];
  return lastAnswerTag(completion);
}
