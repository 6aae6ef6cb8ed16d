/**
 * Readability filters of rejection sampling (R1 paper §2.3.3: keep only readable chains of thought, drop
 * mixed languages and repetition). Each is a plain function of the completion's text:
 *   format      the R1 format `<think>\n...\n</think>\n<answer>\n...\n</answer>` (REFERENCE §3)
 *   language    the share of the chain of thought's words written in the target scripts (R1's language
 *               consistency); a chain of thought with no words (only digits and symbols) passes
 *   repetition  the share of repeated word n-grams, 1 - unique/total (the repetition reward's measure)
 */

const R1_FORMAT = /^<think>\n.*?\n<\/think>\n<answer>\n.*?\n<\/answer>$/s;

export function isR1Format(text: string): boolean {
  return R1_FORMAT.test(text);
}

/** The chain of thought: the first `<think>` block's content, else the whole text. */
export function chainOfThought(text: string): string {
  const m = /<think>(.*?)<\/think>/s.exec(text);
  return m ? m[1] : text;
}

/** Words: runs of letters (with their marks). */
export function letterWords(text: string): string[] {
  return text.match(/[\p{L}\p{M}]+/gu) ?? [];
}

/** The share of words whose letters all belong to `scripts` (Unicode script names); null without words. */
export function scriptFraction(text: string, scripts: readonly string[]): number | null {
  const words = letterWords(text);
  if (words.length === 0) return null;
  const inScripts = new RegExp(`^(?:${scripts.map((s) => `\\p{Script=${s}}`).join("|")}|\\p{M})+$`, "u");
  return words.filter((w) => inScripts.test(w)).length / words.length;
}

/** 1 - unique/total over the lower-cased whitespace-separated word n-grams; 0 with fewer than n words. */
export function repeatedNgramFraction(text: string, n: number): number {
  const words = text.toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (words.length < n) return 0;
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i + n <= words.length; i++) {
    seen.add(words.slice(i, i + n).join("\u0000"));
    total++;
  }
  return 1 - seen.size / total;
}

/** The key two completions of one prompt share when they are duplicates: trimmed, whitespace collapsed. */
export function dedupeKey(text: string): string {
  return text.trim().replace(/\s+/g, " ");
}
