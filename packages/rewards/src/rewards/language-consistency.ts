/**
 * languageConsistency (R1 paper §2.3.3, docs/rewards.md): the fraction of the chain of thought's words written
 * in the target language's script. Words are runs of letters; each Han/kana/Thai character counts as a word
 * (those scripts do not separate words with spaces). The chain of thought is the `<think>` block, or the
 * whole completion without one. null when it has no words (e.g. only numbers).
 */
import { defineReward, z } from "@r1ts/core";
import { thinkContent } from "../text/extract-answer.ts";

export const LANGUAGE_SCRIPTS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  en: ["Latin"], fr: ["Latin"], de: ["Latin"], es: ["Latin"], zh: ["Han"], ja: ["Han", "Hiragana", "Katakana"],
  ko: ["Hangul"], ru: ["Cyrillic"], ar: ["Arabic"], el: ["Greek"], he: ["Hebrew"], hi: ["Devanagari"], th: ["Thai"],
});

export const languageConsistencyOptions = z.object({
  /** A language code from LANGUAGE_SCRIPTS; ignored when `scripts` is given. */
  language: z.string().default("en"),
  /** Unicode script names (e.g. ["Latin"]), overriding `language`. */
  scripts: z.array(z.string().min(1)).min(1).optional(),
}).strict().superRefine((o, ctx) => {
  if (o.scripts === undefined && LANGUAGE_SCRIPTS[o.language] === undefined) {
    ctx.addIssue({ code: "custom", path: ["language"], message: `unknown language "${o.language}"; use one of ${Object.keys(LANGUAGE_SCRIPTS).join(", ")} or give scripts` });
  }
  for (const s of o.scripts ?? []) {
    try {
      new RegExp(`\\p{Script=${s}}`, "u");
    } catch {
      ctx.addIssue({ code: "custom", path: ["scripts"], message: `"${s}" is not a Unicode script name (e.g. Latin, Han, Cyrillic)` });
    }
  }
});

const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

/** Words of a text: runs of letters, with every Han/kana/Thai letter its own word. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const run of text.match(/[\p{L}\p{M}]+/gu) ?? []) {
    let current = "";
    for (const ch of run) {
      if (UNSPACED.test(ch)) {
        if (current !== "") out.push(current);
        current = "";
        out.push(ch);
      } else current += ch;
    }
    if (current !== "") out.push(current);
  }
  return out;
}

export function languageFraction(text: string, scripts: readonly string[]): number | null {
  const list = words(text);
  if (list.length === 0) return null;
  const inScript = new RegExp(`^(?:${scripts.map((s) => `\\p{Script=${s}}`).join("|")}|\\p{M})+$`, "u");
  return list.filter((w) => inScript.test(w)).length / list.length;
}

export const languageConsistencyReward = defineReward({
  name: "languageConsistency",
  module: import.meta.url,
  description: "fraction of chain-of-thought words written in the target language's script",
  options: languageConsistencyOptions,
  score: (batch, { options }) => {
    const scripts = options.scripts ?? LANGUAGE_SCRIPTS[options.language];
    return batch.completions.map((c) => languageFraction(thinkContent(c) ?? c, scripts));
  },
});
