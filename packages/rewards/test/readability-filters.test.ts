/**
 * Rejection sampling's readability filters read the R1 rewards (format, language consistency,
 * repetition): the measures against hand-computed values, then the selection's order of checks and its
 * statistics on a hand-made batch whose readability scores come from the rewards through a reward runner.
 * (Moved here from core's rejection-sampling test with the code it tests: the filters call these rewards.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type Candidate, type SelectionOptions, createRunContext, readabilityRewardUses, selectSamples } from "@r1ts/core";
import r1Rewards from "../src/index.ts";
import { formatScore } from "../src/rewards/format.ts";
import { languageFraction } from "../src/rewards/language-consistency.ts";
import { repetitionPenalty } from "../src/rewards/repetition.ts";
import { thinkContent } from "../src/text/extract-answer.ts";

const r1 = (think: string, answer: string) => `<think>\n${think}\n</think>\n<answer>\n${answer}\n</answer>`;
/** The repetition reward with penalty 1, as the filter uses it: the share of repeated n-grams. */
const repeatedShare = (text: string, n: number) => 0 - repetitionPenalty(text, n, -1);

describe("readability measures (the rewards the filters read)", () => {
  it("R1 format, chain of thought, script fraction, repeated n-grams", () => {
    expect(formatScore(r1("7+5=12", "12"))).toBe(1);
    expect(formatScore(`${r1("7+5=12", "12")} extra`)).toBe(0);
    expect(formatScore("<think>7+5=12</think><answer>12</answer>")).toBe(0);
    expect(thinkContent(r1("a\nb", "1"))).toBe("\na\nb\n");
    // Without a <think> block the language reward reads the whole completion.
    expect(thinkContent("no tags") ?? "no tags").toBe("no tags");
    // Words are runs of letters: "Le", "chat", "дом" -> 2 of 3 in Latin.
    expect(languageFraction("Le chat, 2+2 дом", ["Latin"])).toBeCloseTo(2 / 3, 12);
    expect(languageFraction("Le chat дом", ["Latin", "Cyrillic"])).toBe(1);
    expect(languageFraction("7+5=12\n4+8=12", ["Latin"])).toBeNull();
    // "a b c a b c a b c": 7 trigrams, 3 distinct -> 1 - 3/7.
    expect(repeatedShare("a b c a b c a b c", 3)).toBeCloseTo(4 / 7, 12);
    expect(repeatedShare("A b C a B c", 3)).toBeCloseTo(1 - 3 / 4, 12);
    expect(repeatedShare("a b", 3)).toBe(0);
  });
});

describe("selectSamples with the readability filters scored by the rewards", () => {
  const c = (group: number, completion: string, accuracy: number | null, truncated = false): Candidate => ({
    group, question: `q${group}`, prompt: `p${group}`, answer: "5", completion, tokens: completion.length, truncated, scores: { accuracy },
  });
  const unscored = [
    c(0, r1("2+3=5", "5"), 1), // kept
    c(0, r1("2+3=5", "5"), 1, true), // truncated
    c(0, r1("2+3=6", "6"), 0), // wrong
    c(0, r1("2+3=5 ", "5"), 1), // a duplicate of the first, up to whitespace
    c(0, "<answer>5</answer>", 1), // not in the R1 format
    c(0, r1("дом дом 2+3=5", "5"), 1), // chain of thought in another script
    c(0, r1("3+2=5", "5"), 1), // kept
    c(0, r1("5=2+3", "5"), 1), // passes, but over the cap of 2 per prompt
    c(1, r1("2+3=5", "5"), null), // accuracy not applicable: fails the threshold
    c(1, r1("a a a a a a a a a a a a a a a a", "5"), 1), // repetitive
    c(1, "wrong", 0), // fails accuracy and format; removed by accuracy (checked first)
  ];
  // What rejection sampling does: the filters' rewards score every candidate through a reward runner.
  let batch: Candidate[] = [];
  beforeAll(async () => {
    const run = await createRunContext({ builtins: [r1Rewards], warn: () => {} });
    const runner = run.createRewardRunner(readabilityRewardUses(options.filters));
    const scores = await runner.score({ prompts: unscored.map((x) => x.prompt), completions: unscored.map((x) => x.completion), columns: {} });
    batch = unscored.map((x, i) => ({ ...x, scores: { ...x.scores, ...Object.fromEntries(scores.names.map((n) => [n, scores.perReward[n][i]])) } }));
  });
  const options: SelectionOptions = {
    thresholds: { accuracy: 1 },
    filters: { format: true, language: { scripts: ["Latin"], minFraction: 0.95 }, repetition: { ngram: 3, maxRepeated: 0.5 } },
    dropTruncated: true,
    dedupe: true,
    maxPerPrompt: 2,
  };

  it("applies the checks in order, then deduplicates and caps per prompt, counting each", () => {
    const { kept, stats } = selectSamples(batch, options);
    expect(kept).toEqual([batch[0], batch[6]]);
    expect(stats).toEqual({
      generated: 11,
      kept: 2,
      keptFraction: 2 / 11,
      prompts: 2,
      promptsKept: 1,
      checks: {
        truncated: { failed: 1, removed: 1 },
        "reward:accuracy": { failed: 3, removed: 3 },
        format: { failed: 2, removed: 1 },
        language: { failed: 1, removed: 1 },
        repetition: { failed: 1, removed: 1 },
      },
      duplicates: 1,
      overCap: 1,
      meanKeptTokens: (batch[0].tokens + batch[6].tokens) / 2,
    });
  });

  it("keeps everything but exact duplicates when thresholds and filters are off", () => {
    const { kept, stats } = selectSamples(batch, { thresholds: {}, filters: { format: false, language: false, repetition: false }, dropTruncated: false, dedupe: true });
    // The truncated copy of the first completion is a duplicate too now.
    expect(kept).toHaveLength(9);
    expect(stats.duplicates).toBe(2);
    expect(stats.checks).toEqual({});
    expect(selectSamples(batch, { thresholds: {}, filters: { format: false, language: false, repetition: false }, dropTruncated: false, dedupe: false }).kept).toHaveLength(11);
  });
});

