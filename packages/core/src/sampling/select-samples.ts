/**
 * The selection half of rejection sampling (R1 paper §2.3.3, docs/r1-recipe.md, step 4): from k completions per
 * prompt keep those that pass every check, in this order:
 *   truncated        (dropTruncated) the completion hit the token limit
 *   reward:<name>    each threshold: score >= the threshold (null = not applicable = fails)
 *   format, language, repetition   the readability filters: thresholds over their rewards' scores
 *                    (readability.ts), which the candidate's scores hold as `readability/<check>`
 * then drop duplicates of a prompt's earlier kept completion and cap what each prompt keeps. The
 * statistics count, for every check, how many completions fail it (`failed`, each check on its own) and
 * how many it removed (`removed`, the first check each rejected completion failed).
 */
import { dedupeKey, readabilityChecks } from "./readability.ts";
import type { ReadabilityFilters } from "./rejection-options.ts";

export interface Candidate {
  /** Which prompt it answers (candidates of one prompt share it). */
  readonly group: number;
  readonly question: string;
  readonly prompt: string;
  readonly answer: string;
  readonly completion: string;
  readonly tokens: number;
  readonly truncated: boolean;
  readonly scores: Readonly<Record<string, number | null>>;
}

export interface SelectionOptions {
  thresholds: Readonly<Record<string, number>>;
  filters: ReadabilityFilters;
  dropTruncated: boolean;
  dedupe: boolean;
  maxPerPrompt?: number;
}

export interface CheckStats {
  /** Completions failing this check (judged on its own). */
  failed: number;
  /** Completions removed by it (the first check they failed). */
  removed: number;
}

export interface SelectionStats {
  generated: number;
  kept: number;
  /** kept / generated. */
  keptFraction: number;
  prompts: number;
  /** Prompts with at least one kept completion. */
  promptsKept: number;
  /** Every check, in the order applied. */
  checks: Record<string, CheckStats>;
  /** Passed every check but repeated an earlier kept completion of the same prompt. */
  duplicates: number;
  /** Passed and unique, but over maxPerPrompt. */
  overCap: number;
  meanKeptTokens: number;
}

type Check = [name: string, passes: (c: Candidate) => boolean];

function checks(options: SelectionOptions): Check[] {
  const list: Check[] = [];
  if (options.dropTruncated) list.push(["truncated", (c) => !c.truncated]);
  for (const [name, min] of Object.entries(options.thresholds)) {
    list.push([`reward:${name}`, (c) => {
      const v = c.scores[name];
      return typeof v === "number" && !Number.isNaN(v) && v >= min;
    }]);
  }
  for (const [name, passes] of readabilityChecks(options.filters)) list.push([name, (c) => passes(c.scores)]);
  return list;
}

export function selectSamples(candidates: readonly Candidate[], options: SelectionOptions): { kept: Candidate[]; stats: SelectionStats } {
  const list = checks(options);
  const stats: Record<string, CheckStats> = Object.fromEntries(list.map(([name]) => [name, { failed: 0, removed: 0 }]));
  const kept: Candidate[] = [];
  const seen = new Map<number, Set<string>>();
  const perGroup = new Map<number, number>();
  let duplicates = 0;
  let overCap = 0;
  for (const c of candidates) {
    let firstFailure: string | undefined;
    for (const [name, passes] of list) {
      if (passes(c)) continue;
      stats[name].failed++;
      firstFailure ??= name;
    }
    if (firstFailure !== undefined) {
      stats[firstFailure].removed++;
      continue;
    }
    if (options.dedupe) {
      const keys = seen.get(c.group) ?? new Set<string>();
      seen.set(c.group, keys);
      const key = dedupeKey(c.completion);
      if (keys.has(key)) {
        duplicates++;
        continue;
      }
      keys.add(key);
    }
    const count = perGroup.get(c.group) ?? 0;
    if (options.maxPerPrompt !== undefined && count >= options.maxPerPrompt) {
      overCap++;
      continue;
    }
    perGroup.set(c.group, count + 1);
    kept.push(c);
  }
  const generated = candidates.length;
  return {
    kept,
    stats: {
      generated,
      kept: kept.length,
      keptFraction: generated === 0 ? 0 : kept.length / generated,
      prompts: new Set(candidates.map((c) => c.group)).size,
      promptsKept: perGroup.size,
      checks: stats,
      duplicates,
      overCap,
      meanKeptTokens: kept.length === 0 ? 0 : kept.reduce((a, c) => a + c.tokens, 0) / kept.length,
    },
  };
}
