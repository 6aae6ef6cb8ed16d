/**
 * Gold answers from the solution texts of math datasets: GSM8K ends each solution with `#### 42`,
 * MATH puts the final answer in the solution's last `\boxed{...}`.
 */

export type AnswerFormat = "plain" | "gsm8k" | "math" | "auto";

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

/** GSM8K: the text after the last `####`, trimmed, without thousands separators or a final period ("1,234." -> "1234"); null without `####`. */
export function gsm8kAnswer(solution: string): string | null {
  const at = solution.lastIndexOf("####");
  if (at < 0) return null;
  const answer = solution.slice(at + 4).trim().replace(/(\d),(?=\d{3}\b)/g, "$1").replace(/\.$/, "");
  return answer === "" ? null : answer;
}

/** MATH: the last `\boxed{}` of the solution, trimmed; null without one. */
export function mathAnswer(solution: string): string | null {
  const boxed = lastBoxed(solution);
  return boxed === null ? null : boxed.trim();
}

/**
 * The gold answer of a dataset value in `format` ("auto": GSM8K's `####` if present, else MATH's `\boxed{}`,
 * else the text itself); numbers become their text. null when the format's marker is missing.
 */
export function extractGoldAnswer(value: unknown, format: AnswerFormat = "auto"): string | null {
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value !== "string") return null;
  switch (format) {
    case "plain":
      return value.trim();
    case "gsm8k":
      return gsm8kAnswer(value);
    case "math":
      return mathAnswer(value);
    case "auto":
      return gsm8kAnswer(value) ?? mathAnswer(value) ?? value.trim();
  }
}
