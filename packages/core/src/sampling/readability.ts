/**
 * The readability filters of rejection sampling (R1 paper §2.3.3: keep only readable chains of thought,
 * drop mixed languages and repetition; docs/r1-recipe.md) are thresholds over rewards, scored by the
 * run's reward runner like any other reward, so a filter and its reward can never disagree:
 *   format      the format reward (the R1 format), score >= 1
 *   language    the language-consistency reward (share of chain-of-thought words in the target scripts),
 *               score >= minFraction; a chain of thought with no words (null) passes
 *   repetition  the repetition reward with a penalty of 1 (score = -(1 - unique/total n-grams)),
 *               repeated share <= maxRepeated
 * The rewards are looked up by the names below (those of @r1ts/rewards) unless the filters name others.
 */
import type { RewardUseConfig } from "../plugin/config-schema.ts";
import type { ReadabilityFilters } from "./rejection-options.ts";

/** The checks in the order applied, with the reward each one reads. */
export const READABILITY_CHECKS = ["format", "language", "repetition"] as const;
export type ReadabilityCheck = (typeof READABILITY_CHECKS)[number];

/** Default reward of each check (the names of @r1ts/rewards). */
export const READABILITY_REWARDS: Readonly<Record<ReadabilityCheck, string>> = Object.freeze({ format: "format", language: "languageConsistency", repetition: "repetition" });

/** The score name a check's reward is stored under in a candidate's scores. */
export const readabilityScore = (check: ReadabilityCheck): string => `readability/${check}`;

/** The reward uses that score the filters that are on (none when every filter is off). */
export function readabilityRewardUses(filters: ReadabilityFilters): RewardUseConfig[] {
  const name = (check: ReadabilityCheck) => filters.rewards?.[check] ?? READABILITY_REWARDS[check];
  const uses: RewardUseConfig[] = [];
  if (filters.format) uses.push({ name: name("format"), as: readabilityScore("format"), weight: 0 });
  if (filters.language) uses.push({ name: name("language"), as: readabilityScore("language"), weight: 0, options: { scripts: filters.language.scripts } });
  if (filters.repetition) uses.push({ name: name("repetition"), as: readabilityScore("repetition"), weight: 0, options: { ngramSize: filters.repetition.ngram, maxPenalty: -1 } });
  return uses;
}

/** The filters that are on, each as [check, passes(scores)]. */
export function readabilityChecks(filters: ReadabilityFilters): [ReadabilityCheck, (scores: Readonly<Record<string, number | null>>) => boolean][] {
  const score = (s: Readonly<Record<string, number | null>>, check: ReadabilityCheck) => s[readabilityScore(check)];
  const out: [ReadabilityCheck, (scores: Readonly<Record<string, number | null>>) => boolean][] = [];
  const { format, language, repetition } = filters;
  if (format) out.push(["format", (s) => (score(s, "format") ?? 0) >= 1]);
  if (language) out.push(["language", (s) => (score(s, "language") ?? 1) >= language.minFraction]);
  if (repetition) out.push(["repetition", (s) => -(score(s, "repetition") ?? 0) <= repetition.maxRepeated]);
  return out;
}

/** The key two completions of one prompt share when they are duplicates: trimmed, whitespace collapsed. */
export function dedupeKey(text: string): string {
  return text.trim().replace(/\s+/g, " ");
}
