/**
 * The `rejection-sampling` stage (R1 paper §2.3.3, docs/r1-recipe.md, step 4): k samples per training prompt
 * from a model; keep the ones whose rewards pass the thresholds and that pass the readability filters,
 * deduplicate, cap per prompt, and write an SFT dataset plus its statistics (`<dir>/rejection-stats.json`).
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../io/atomic-write.ts";
import { Generator } from "../../random/generator.ts";
import { defineStage, type StageContext, type StageResult } from "../stage.ts";
import { distinctTrainProblems } from "../../tasks/task-factory.ts";
import { rejectionSamplingSchema, rejectionThresholds, type RejectionSamplingOptions } from "../../sampling/rejection-options.ts";
import { StageError } from "../errors.ts";
import { readabilityRewardUses } from "../../sampling/readability.ts";
import { datasetRows, rejectionSample, writeJsonl } from "../../sampling/rejection-sample.ts";
import type { SelectionStats } from "../../sampling/select-samples.ts";

export const REJECTION_STATS_FILE = "rejection-stats.json";

export const rejectionSamplingStage = defineStage({
  name: "rejection-sampling",
  description: "sample k completions per training prompt, keep the correct and readable ones as an SFT dataset",
  options: rejectionSamplingSchema,
  inputs: { model: { kind: "model", description: "the model to sample from" } },
  outputs: { dataset: { kind: "dataset", description: "kept completions: prompt, completion, question, answer, scores" } },
  needs: { task: true, rewards: true },
  async run(ctx, o) {
    const bundle = await ctx.loadModel("model");
    try {
      return await sampleToDataset(ctx, bundle, o, "dataset");
    } finally {
      bundle.model.dispose();
    }
  },
});

/** Rejection-samples `bundle` on the task's training prompts into the dataset output `output`. */
export async function sampleToDataset(ctx: StageContext, bundle: Awaited<ReturnType<StageContext["loadModel"]>>, o: RejectionSamplingOptions, output: string): Promise<StageResult> {
  const seed = o.seed ?? ctx.seed;
  const task = ctx.task();
  const rng = new Generator(seed);
  const problems = distinctTrainProblems(() => task.sampleTrain(rng), o.prompts);
  if (problems.length < o.prompts) ctx.log(`only ${problems.length} distinct training prompts found (asked for ${o.prompts})`);
  const readability = readabilityRewardUses(o.filters);
  const thresholds = rejectionThresholds(o, ctx.evalSettings.correctness);
  if (!thresholds) {
    throw new StageError(ctx.id, ctx.stage, "rejection sampling keeps the completions that pass its thresholds: give sampling thresholds (e.g. { accuracy: 1 }) or name the correctness reward in eval.correctness");
  }
  const result = await rejectionSample(bundle, problems, ctx.rewards(), { ...o, seed, thresholds }, {
    workDir: join(ctx.dir, "samples"),
    readability: readability.length > 0 ? ctx.runContext.createRewardRunner(readability, { warn: (m) => ctx.log(`warning: ${m}`) }) : undefined,
    log: (m) => ctx.log(m),
    progress: (done, total) => ctx.progress({ step: done - 1, steps: total }),
  });
  await writeJsonl(ctx.outputPath(output), datasetRows(result.kept));
  await writeFileAtomic(join(ctx.dir, REJECTION_STATS_FILE), JSON.stringify(result.stats, null, 2) + "\n");
  ctx.log(describeSelection(result.stats));
  return {
    metrics: { generated: result.stats.generated, kept: result.stats.kept, keptFraction: result.stats.keptFraction, promptsKept: result.stats.promptsKept, duplicates: result.stats.duplicates },
    tokens: { generated: result.generatedTokens },
    note: `kept ${result.stats.kept} of ${result.stats.generated} samples (${result.stats.promptsKept}/${result.stats.prompts} prompts)`,
  };
}

/** "kept 312 of 1024 (30.5%); removed by: reward:accuracy 650, format 40, ...; duplicates 12; over cap 10". */
export function describeSelection(stats: SelectionStats): string {
  const removed = Object.entries(stats.checks).map(([name, c]) => `${name} ${c.removed} (fails ${c.failed})`).join(", ");
  return `kept ${stats.kept} of ${stats.generated} (${(stats.keptFraction * 100).toFixed(1)}%); removed by ${removed || "nothing"}; duplicates ${stats.duplicates}; over the per-prompt cap ${stats.overCap}`;
}
