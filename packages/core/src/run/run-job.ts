/**
 * Runs a run config (GRPO or SFT on a model bundle): as a one-stage pipeline (config/run-as-pipeline.ts)
 * through the pipeline runner, with the run directory as the stage's directory, then writes the run's
 * config.json, summary.json and report.html. The runner does everything else: the held-out evaluation
 * before (of the model the run starts from), during (every eval.every steps) and after, the trainer with
 * its metrics, samples and checkpoints, and resuming. `r1ts run` and `r1ts demo` are thin wrappers.
 *
 * A run directory that holds an interrupted attempt at the same config continues from its newest valid
 * checkpoint (or from step 0 when it had none); `resume` also continues a run whose config changed (more
 * steps, say). Either way the metrics end identical to an unbroken run's.
 */
import { resolve } from "node:path";
import type { RunConfig } from "../config/run-config-schema.ts";
import { runAsPipeline, runStageId } from "../config/run-as-pipeline.ts";
import { modelSourcePath } from "../config/model-source.ts";
import type { EvalReport } from "../eval/eval-report.ts";
import { DirectoryCheckpointStore } from "../train/checkpoint-store.ts";
import type { PluginSpec, RunContext } from "../plugin/run-context.ts";
import { type PipelineProgress, runPipeline } from "../pipeline/runner.ts";
import { renderReport } from "./report.ts";
import { RunDirectory } from "./run-directory.ts";

export type RunProgress = PipelineProgress;

export interface RunJobOptions {
  /** Plugins loaded before the config's (e.g. the built-in rewards). */
  builtins?: readonly PluginSpec[];
  /** Turns config.model.bundle into a directory (e.g. "builtin:base-arithmetic" -> the CLI's asset). */
  resolveBundle?: (spec: string) => string;
  /** Where relative paths of the config are resolved from. */
  baseDir?: string;
  /** Continue the run in this directory from its newest valid checkpoint, even if the config changed. */
  resumeDir?: string;
  log?: (line: string) => void;
  onProgress?: (progress: RunProgress) => void;
  /** Called with the run context once plugins are set up: tap its hooks (loggers, early stopping). */
  onContext?: (context: RunContext) => void | Promise<void>;
}

export interface RunSummary {
  task: string;
  trainer: RunConfig["trainer"];
  backend: string;
  steps: number;
  seconds: number;
  heldOutAccuracyBefore: number | null;
  heldOutAccuracyAfter: number | null;
  formatRateBefore: number | null;
  formatRateAfter: number | null;
  meanLengthBefore: number | null;
  meanLengthAfter: number | null;
  /** Mean total reward over the first / last tenth of the steps, divided by the sum of the reward weights. */
  rewardFirst: number | null;
  rewardLast: number | null;
  /** SFT: held-out completion loss. */
  evalLossBefore?: number | null;
  evalLossAfter?: number | null;
  heldOutProblems: number;
  /** Peak resident memory of the process (MiB). */
  peakRssMiB: number;
  seed: number;
  runDir: string;
  finalCheckpoint: string;
}

const finiteOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export async function runJob(config: RunConfig, options: RunJobOptions = {}): Promise<RunSummary> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const given = options.resumeDir ?? config.runDir;
  const files = given ? await RunDirectory.create({ dir: given }) : await RunDirectory.create({ root: config.output, name: config.name });
  const runDir = files.path;
  const baseDir = options.baseDir ?? process.cwd();
  const bundleDir = (spec: string) => (options.resolveBundle ? options.resolveBundle(spec) : resolve(baseDir, spec));
  const modelDir = bundleDir(modelSourcePath(config.model));
  const pipeline = runAsPipeline(config);
  const result = await runPipeline(pipeline, {
    layout: "single",
    resume: options.resumeDir !== undefined,
    runDir,
    baseDir,
    builtins: options.builtins,
    resolvePath: (p, kind) => (kind === "model" ? bundleDir(p) : resolve(baseDir, p)),
    source: "run config",
    log,
    onProgress: options.onProgress,
    onContext: options.onContext,
    onStart: ({ backend }) => files.writeConfig({ ...config, resolvedBackend: backend, modelDir }),
  });

  const stage = result.stages.find((s) => s.id === runStageId(config))!;
  const before = result.inputs[0]?.eval;
  const after = stage.record.eval;
  const metrics = await files.read("metrics");
  const weightSum = config.rewards.reduce((a, u) => a + Math.abs(u.weight), 0);
  const rewards = metrics.map((m) => m.reward).filter((v): v is number => typeof v === "number");
  const window = Math.max(1, Math.floor(rewards.length / 10));
  const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  const steps = finiteOrNull(stage.record.metrics.steps) ?? 0;
  const finalCheckpoint = new DirectoryCheckpointStore(result.runDir).location(steps);
  const summary: RunSummary = {
    task: result.task ?? "",
    trainer: config.trainer,
    backend: result.backend,
    steps,
    seconds: (performance.now() - started) / 1000,
    heldOutAccuracyBefore: before?.accuracy ?? null,
    heldOutAccuracyAfter: after?.accuracy ?? null,
    formatRateBefore: before?.format ?? null,
    formatRateAfter: after?.format ?? null,
    meanLengthBefore: before?.meanLength ?? null,
    meanLengthAfter: after?.meanLength ?? null,
    rewardFirst: weightSum > 0 ? finiteOrNull(meanOf(rewards.slice(0, window)) / weightSum) : null,
    rewardLast: weightSum > 0 ? finiteOrNull(meanOf(rewards.slice(-window)) / weightSum) : null,
    heldOutProblems: before?.problems ?? after?.problems ?? 0,
    peakRssMiB: Math.round(Math.max(process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
    seed: config.seed,
    runDir: result.runDir,
    finalCheckpoint,
  };
  if (config.trainer === "sft" && config.data?.eval) {
    Object.assign(summary, { evalLossBefore: finiteOrNull(stage.record.metrics.evalLossBefore), evalLossAfter: finiteOrNull(stage.record.metrics.evalLossAfter) });
  }
  await files.writeSummary(summary);
  await writeRunReport(files, summary, before, after);
  log(`summary: ${files.file("summary")}; report: ${files.file("report")}`);
  return summary;
}

export async function writeRunReport(runDir: RunDirectory, summary: RunSummary, before: EvalReport | undefined, after: EvalReport | undefined): Promise<void> {
  const metrics = await runDir.read("metrics");
  const evals = await runDir.read("evals");
  const samples = (await runDir.read("samples")).filter((s) => s.phase === "train" || s.phase === "after").slice(-12);
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : `${(v * 100).toFixed(1)}%`);
  const html = renderReport({
    title: `r1ts ${summary.trainer.toUpperCase()} run: ${summary.task} on ${summary.backend}`,
    summary: summary as unknown as Record<string, unknown>,
    metrics,
    evals,
    samples: samples.map((s) => ({
      step: Number(s.step),
      prompt: String(s.prompt),
      completion: String(s.completion),
      reward: typeof s.reward === "number" ? s.reward : null,
    })),
    table: [
      ["held-out accuracy", pct(before?.accuracy), pct(after?.accuracy)],
      ["format rate", pct(before?.format), pct(after?.format)],
      ["mean completion length (tokens)", before ? before.meanLength.toFixed(1) : "n/a", after ? after.meanLength.toFixed(1) : "n/a"],
    ],
  });
  await runDir.writeReport(html);
}

