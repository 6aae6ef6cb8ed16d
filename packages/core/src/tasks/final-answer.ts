/**
 * Finding the final answer in a completion (the accuracy reward's rule, docs/rewards.md; evaluation's maj@N): the
 * last `\boxed{...}`, else the last `<answer>` block.
 */

/** The content of the last `\boxed{...}` (or `\fbox{...}`), braces balanced; null if there is none. */
export function lastBoxed(text: string): string | null {
  let found: string | null = null;
  const pattern = /\\(?:boxed|fbox)\s*\{/g;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const start = m.index + m[0].length;
    let depth = 1;
    let i = start;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
    }
    if (depth === 0) found = text.slice(start, i - 1);
  }
  return found;
}

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

