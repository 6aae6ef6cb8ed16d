/**
 * Rejection sampling: its options, and sampling from a model: deterministic, and an interrupted run
 * continues from its saved batches with the same result. The readability filters and the selection are
 * tested with the rewards they read (packages/rewards/test/readability-filters.test.ts).
 */
import { readFile, readdir, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Generator, arithmeticTask, createRewardRunner, dedupeKey, loadModelBundle, readabilityRewardUses, rejectionSample, rejectionSamplingSchema, rejectionThresholds, setBackend,
} from "../src/index.ts";
import { TASK, tempDir, tinyBundle, toyAccuracy, toyFormat } from "./pipeline-fixtures.ts";

describe("rejection sampling options", () => {
  it("has the R1 defaults: the correctness reward >= 1, format, Latin script, repetition, truncated dropped", () => {
    const o = rejectionSamplingSchema.parse({ prompts: 4 });
    expect(o).toMatchObject({ samplesPerPrompt: 8, dropTruncated: true, dedupe: true, filters: { format: true, language: { scripts: ["Latin"], minFraction: 0.95 }, repetition: { ngram: 3, maxRepeated: 0.5 } } });
    // No reward name is assumed: the default threshold is the run's eval.correctness at 1.
    expect(rejectionThresholds(o, "accuracy")).toEqual({ accuracy: 1 });
    expect(rejectionThresholds(o, "countdown")).toEqual({ countdown: 1 });
    expect(rejectionThresholds(o, undefined)).toBeUndefined();
    expect(rejectionThresholds(rejectionSamplingSchema.parse({ prompts: 4, thresholds: { format: 1 } }), "accuracy")).toEqual({ format: 1 });
    expect(rejectionThresholds(rejectionSamplingSchema.parse({ prompts: 4, thresholds: {} }), "accuracy")).toEqual({});
    expect(rejectionSamplingSchema.safeParse({ prompts: 0 }).success).toBe(false);
  });

  it("turns the readability filters into reward uses, and dedupes by whitespace-collapsed text", () => {
    expect(readabilityRewardUses(rejectionSamplingSchema.parse({ prompts: 1 }).filters).map((u) => [typeof u === "string" ? u : u.name, typeof u === "string" ? u : u.as])).toEqual([
      ["format", "readability/format"], ["languageConsistency", "readability/language"], ["repetition", "readability/repetition"],
    ]);
    expect(readabilityRewardUses({ format: false, language: false, repetition: false })).toEqual([]);
    expect(dedupeKey("  x \n\n y ")).toBe("x y");
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
    const options = { ...rejectionSamplingSchema.parse({ prompts: 5, samplesPerPrompt: 3, promptsPerBatch: 2, maxNewTokens: 10, filters: { format: false, language: false, repetition: false }, dropTruncated: false }), thresholds: {}, seed: 9 };
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
