/**
 * Rejection sampling: the readability measures against hand-computed values, the selection's order of
 * checks and its statistics on a hand-made batch, and sampling from a model: deterministic, and an
 * interrupted run continues from its saved batches with the same result.
 */
import { readFile, readdir, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Candidate, Generator, arithmeticTask, chainOfThought, createRewardRunner, dedupeKey, isR1Format, loadModelBundle, rejectionSample,
  rejectionSamplingSchema, repeatedNgramFraction, scriptFraction, selectSamples, setBackend, type SelectionOptions,
} from "../src/index.ts";
import { TASK, tempDir, tinyBundle, toyAccuracy, toyFormat } from "./pipeline-fixtures.ts";

const r1 = (think: string, answer: string) => `<think>\n${think}\n</think>\n<answer>\n${answer}\n</answer>`;

describe("readability measures", () => {
  it("R1 format, chain of thought, script fraction, repeated n-grams, duplicate keys", () => {
    expect(isR1Format(r1("7+5=12", "12"))).toBe(true);
    expect(isR1Format(`${r1("7+5=12", "12")} extra`)).toBe(false);
    expect(isR1Format("<think>7+5=12</think><answer>12</answer>")).toBe(false);
    expect(chainOfThought(r1("a\nb", "1"))).toBe("\na\nb\n");
    expect(chainOfThought("no tags")).toBe("no tags");
    // Words are runs of letters: "Le", "chat", "дом" -> 2 of 3 in Latin.
    expect(scriptFraction("Le chat, 2+2 дом", ["Latin"])).toBeCloseTo(2 / 3, 12);
    expect(scriptFraction("Le chat дом", ["Latin", "Cyrillic"])).toBe(1);
    expect(scriptFraction("7+5=12\n4+8=12", ["Latin"])).toBeNull();
    // "a b c a b c a b c": 7 trigrams, 3 distinct -> 1 - 3/7.
    expect(repeatedNgramFraction("a b c a b c a b c", 3)).toBeCloseTo(4 / 7, 12);
    expect(repeatedNgramFraction("A b C a B c", 3)).toBeCloseTo(1 - 3 / 4, 12);
    expect(repeatedNgramFraction("a b", 3)).toBe(0);
    expect(dedupeKey("  x \n\n y ")).toBe("x y");
  });
});

describe("selectSamples", () => {
  const c = (group: number, completion: string, accuracy: number | null, truncated = false): Candidate => ({
    group, question: `q${group}`, prompt: `p${group}`, answer: "5", completion, tokens: completion.length, truncated, scores: { accuracy },
  });
  const batch = [
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

  it("has the R1 defaults: accuracy >= 1, format, Latin script, repetition, truncated dropped", () => {
    const o = rejectionSamplingSchema.parse({ prompts: 4 });
    expect(o).toMatchObject({ samplesPerPrompt: 8, thresholds: { accuracy: 1 }, dropTruncated: true, dedupe: true, filters: { format: true, language: { scripts: ["Latin"], minFraction: 0.95 }, repetition: { ngram: 3, maxRepeated: 0.5 } } });
    expect(rejectionSamplingSchema.safeParse({ prompts: 0 }).success).toBe(false);
  });
});

describe("rejectionSample", () => {
  let dir: string;
  let bundlePath: string;
  beforeAll(async () => {
    await setBackend("reference");
    dir = await tempDir();
    bundlePath = await tinyBundle(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("samples k per prompt in seeded batches; an interrupted run continues from the saved batches with the same result", async () => {
    const bundle = await loadModelBundle(bundlePath);
    const task = arithmeticTask(TASK);
    const rng = new Generator(4);
    const problems = Array.from({ length: 5 }, () => task.sampleTrain(rng));
    const rewards = createRewardRunner([{ reward: toyAccuracy }, { reward: toyFormat }]);
    const options = { ...rejectionSamplingSchema.parse({ prompts: 5, samplesPerPrompt: 3, promptsPerBatch: 2, maxNewTokens: 10, thresholds: {}, filters: { format: false, language: false, repetition: false }, dropTruncated: false }), seed: 9 };
    const first = await rejectionSample(bundle, problems, rewards, options, { workDir: join(dir, "a") });
    expect(first.stats.generated).toBe(15);
    expect(first.resumedBatches).toBe(0);
    expect(await readdir(join(dir, "a"))).toEqual(["batch-0000.jsonl", "batch-0001.jsonl", "batch-0002.jsonl"]);
    expect(first.kept.every((k, i) => i === 0 || k.group >= first.kept[i - 1].group)).toBe(true);
    expect(new Set(first.kept.map((k) => k.group))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(first.generatedTokens).toBeGreaterThan(0);
    expect(first.kept[0].scores).toEqual({ accuracy: 0, format: 0 });

    // Interrupted after the first batch: the other two are generated again, identically.
    const saved = await readFile(join(dir, "a", "batch-0002.jsonl"), "utf8");
    await unlink(join(dir, "a", "batch-0001.jsonl"));
    await unlink(join(dir, "a", "batch-0002.jsonl"));
    const resumed = await rejectionSample(bundle, problems, rewards, options, { workDir: join(dir, "a") });
    expect(resumed.resumedBatches).toBe(1);
    expect(resumed.kept).toEqual(first.kept);
    expect(await readFile(join(dir, "a", "batch-0002.jsonl"), "utf8")).toBe(saved);
    // And a fresh directory with the same seed gives the same samples; another seed does not.
    expect((await rejectionSample(bundle, problems, rewards, options, { workDir: join(dir, "b") })).kept).toEqual(first.kept);
    const other = await rejectionSample(bundle, problems, rewards, { ...options, seed: 10 }, { workDir: join(dir, "c") });
    expect(other.kept.map((k) => k.completion)).not.toEqual(first.kept.map((k) => k.completion));
    bundle.model.dispose();
  }, 60_000);
});
