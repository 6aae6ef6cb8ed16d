/**
 * Runs what a run config describes (GRPO or SFT on a model bundle) and writes the run directory:
 * resolved config, held-out evaluation before, training with metrics / samples / checkpoints, evaluation
 * after, the final checkpoint (a model bundle), summary.json and report.html. `r1ts run` and `r1ts demo`
 * are thin wrappers around it. With `resume`, the newest checkpoint of the run directory is restored and
 * training continues exactly as if it had never stopped (the same seed gives the same metrics).
 */
import { R1tsError } from "../errors.ts";
import type { TrainerControl } from "../hooks/trainer-control.ts";
import type { TrainerHooks } from "../hooks/trainer-hooks.ts";
import type { RunConfig } from "../config/run-config-schema.ts";
import { latestCheckpoint } from "../io/checkpoint.ts";
import { Generator } from "../random/generator.ts";
import { lastBackendSelection, setBackend } from "../backend/registry.ts";
import type { RewardRunner } from "../reward/runner.ts";
import { evaluateProblems, type EvaluationResult } from "../train/evaluate.ts";
import { GRPOTrainer } from "../train/grpo/grpo-trainer.ts";
import { SFTTrainer } from "../train/sft/sft-trainer.ts";
import type { SequenceRow } from "../train/sequence-batch.ts";
import { type BundleConfig, type ModelBundle, loadModelBundle } from "./model-bundle.ts";
import { type ProblemSource, problemSource } from "./problems.ts";
import { renderReport } from "./report.ts";
import { RunDirectory } from "./run-directory.ts";

export interface RunProgress {
  step: number;
  steps: number;
  metrics: Readonly<Record<string, number>>;
  elapsedSeconds: number;
  etaSeconds: number;
}

export interface RunJobOptions {
  /** Scores rollouts and evaluations (required for GRPO; optional for SFT, then no generation eval). */
  rewards?: RewardRunner;
  /** Turns config.model.bundle into a directory (e.g. "builtin:base-arithmetic" -> the CLI's asset). */
  resolveBundle?: (spec: string) => string;
  /** Where relative paths of the config are resolved from. */
  baseDir?: string;
  /** Continue the run in this directory from its newest checkpoint. */
  resumeDir?: string;
  log?: (line: string) => void;
  onProgress?: (progress: RunProgress) => void;
  /** The trainer's hooks (a run context's, which plugins tapped); default: fresh ones. */
  hooks?: TrainerHooks;
  /** Called with the trainer before training starts: tap its hooks (plugins, loggers, early stopping). */
  setup?: (trainer: { hooks: TrainerHooks; control: TrainerControl }) => void;
}

export interface RunSummary {
  task: string;
  trainer: "grpo" | "sft";
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

export class RunError extends R1tsError {}

/** What a held-out evaluation row reports. */
export interface EvalRecord {
  step: number;
  phase: "before" | "during" | "after";
  accuracy: number | null;
  format: number | null;
  meanLength: number;
  truncatedRate: number;
  rewards: Record<string, number>;
}

const finiteOrNull = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

export async function runJob(config: RunConfig, options: RunJobOptions = {}): Promise<RunSummary> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  let peakRss = process.memoryUsage().rss;
  const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

  await setBackend(config.backend);
  const backend = lastBackendSelection()?.chosen ?? config.backend;
  const runDir = options.resumeDir
    ? await RunDirectory.create({ dir: options.resumeDir })
    : await RunDirectory.create({ root: config.output, name: config.name, dir: config.runDir });
  const bundleDir = options.resolveBundle ? options.resolveBundle(config.model.bundle) : config.model.bundle;
  const bundle = await loadModelBundle(bundleDir);
  const source = await problemSource(config, options.baseDir);
  log(`backend: ${backend}; model ${bundleDir} (${bundle.model.numParameters()} parameters); task ${source.name}; run directory ${runDir.path}`);
  if (!options.resumeDir) await runDir.writeConfig({ ...config, resolvedBackend: backend, modelDir: bundleDir });

  if (config.trainer === "grpo" && !options.rewards) throw new RunError("a GRPO run needs rewards (options.rewards)");
  const steps = config.trainer === "grpo" ? config.grpo!.steps : config.sft!.steps;
  const maxNewTokens = config.eval.maxNewTokens ?? config.grpo?.maxNewTokens ?? 64;
  /** The running trainer's hooks and control: evaluations fire its onEval hook. */
  let trainerHooks: { hooks: TrainerHooks; control: TrainerControl } | undefined;
  const evaluate = async (step: number, phase: EvalRecord["phase"]): Promise<EvalRecord | undefined> => {
    if (!options.rewards || source.heldOut.length === 0) return undefined;
    const result = await evaluateProblems(bundle.model, bundle.tokenizer, bundle.eosTokenId, source.heldOut, options.rewards, {
      maxNewTokens, temperature: config.eval.temperature, topP: config.eval.topP, samplesPerProblem: config.eval.samplesPerProblem, seed: config.seed + 17,
    });
    sampleRss();
    const record = evalRecord(step, phase, result, source.name);
    await runDir.appendEval(record as unknown as Record<string, unknown>);
    await runDir.appendSamples(result.rows.slice(0, 8).map((r) => ({ step, phase, prompt: r.question, completion: r.completion, reward: r.scores })));
    log(`held-out (${phase}, step ${step}): accuracy ${fmt(record.accuracy)}, format ${fmt(record.format)}, mean length ${record.meanLength.toFixed(1)} tokens`);
    if (trainerHooks) {
      const metrics: Record<string, number> = { "eval/meanLength": record.meanLength, "eval/truncatedRate": record.truncatedRate };
      if (record.accuracy !== null) metrics["eval/accuracy"] = record.accuracy;
      if (record.format !== null) metrics["eval/format"] = record.format;
      for (const [name, v] of Object.entries(record.rewards)) metrics[`eval/rewards/${name}`] = v;
      await trainerHooks.hooks.onEval.promise({ step, trainer: config.trainer, control: trainerHooks.control, metrics });
    }
    return record;
  };

  const bundleConfig = (): BundleConfig => ({ ...(bundle.config as BundleConfig), model: bundle.model.config, tokenizer: bundle.tokenizer.toJSON(), eosToken: bundle.config.eosToken, trainedBy: { trainer: config.trainer, run: runDir.path } });

  let before: EvalRecord | undefined;
  let evalLossBefore: number | undefined;
  let evalLossAfter: number | undefined;
  let finalStep = 0;
  try {
    if (config.trainer === "grpo") {
      const trainer = new GRPOTrainer({
        model: bundle.model, tokenizer: bundle.tokenizer, eosTokenId: bundle.eosTokenId, rewards: options.rewards!,
        prompts: (rng: Generator) => source.sampleTrain(rng),
        config: { ...config.grpo!, seed: config.seed },
        hooks: options.hooks,
      });
      trainerHooks = trainer;
      options.setup?.(trainer);
      try {
        if (options.resumeDir) {
          const ckpt = await latestCheckpoint(runDir.path);
          if (!ckpt) throw new RunError(`cannot resume ${runDir.path}: it has no checkpoint`);
          await trainer.resume(ckpt);
          await runDir.truncateFrom(trainer.step);
          before = (await runDir.read("evals")).find((r) => r.phase === "before") as EvalRecord | undefined;
          log(`resumed from ${ckpt} at step ${trainer.step}`);
        } else {
          before = await evaluate(0, "before");
        }
        tapRunHooks(trainer, runDir, config, steps, started, options, sampleRss, evaluate, bundleConfig);
        await trainer.train();
        finalStep = trainer.step;
        await trainer.save(runDir.checkpointDir(finalStep), bundleConfig());
      } finally {
        trainer.dispose();
      }
    } else {
      const sftConfig = config.sft!;
      const toRow = (p: { prompt: string; completion: string }): SequenceRow => ({ prompt: bundle.tokenizer.encode(p.prompt), completion: [...bundle.tokenizer.encode(p.completion), bundle.eosTokenId] });
      const rows = (source.completions ?? []).map(toRow);
      const evalRows = source.heldOut.filter((p) => typeof p.columns[config.data!.completionColumn] === "string").map((p) => toRow({ prompt: p.prompt, completion: p.columns[config.data!.completionColumn] as string }));
      const trainer = new SFTTrainer(bundle.model, rows, { ...sftConfig, seed: config.seed, padId: bundle.eosTokenId }, evalRows, options.hooks);
      trainerHooks = trainer;
      options.setup?.(trainer);
      try {
        if (options.resumeDir) {
          const ckpt = await latestCheckpoint(runDir.path);
          if (!ckpt) throw new RunError(`cannot resume ${runDir.path}: it has no checkpoint`);
          await trainer.resume(ckpt);
          await runDir.truncateFrom(trainer.step);
        } else {
          before = await evaluate(0, "before");
        }
        if (evalRows.length > 0) evalLossBefore = await trainer.evalLoss();
        trainer.hooks.afterStep.tapPromise("run-directory", async ({ step, metrics }) => {
          sampleRss();
          await runDir.appendMetrics({ step, ...metrics });
          const elapsed = (performance.now() - started) / 1000;
          options.onProgress?.({ step, steps, metrics, elapsedSeconds: elapsed, etaSeconds: (elapsed / (step + 1)) * (steps - step - 1) });
          if (config.checkpointEvery > 0 && (step + 1) % config.checkpointEvery === 0 && step + 1 < steps) {
            trainer.step = step + 1;
            await trainer.save(runDir.checkpointDir(step + 1), bundleConfig());
            trainer.step = step;
          }
        });
        await trainer.train();
        finalStep = trainer.step;
        if (evalRows.length > 0) evalLossAfter = await trainer.evalLoss();
        await trainer.save(runDir.checkpointDir(finalStep), bundleConfig());
      } finally {
        trainer.dispose();
      }
    }
    const after = await evaluate(finalStep, "after");
    sampleRss();
    const metrics = await runDir.read("metrics");
    const weightSum = options.rewards ? options.rewards.uses.reduce((a, u) => a + Math.abs(u.weight), 0) : 0;
    const rewards = metrics.map((m) => m.reward).filter((v): v is number => typeof v === "number");
    const window = Math.max(1, Math.floor(rewards.length / 10));
    const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
    const summary: RunSummary = {
      task: source.name,
      trainer: config.trainer,
      backend,
      steps: finalStep,
      seconds: (performance.now() - started) / 1000,
      heldOutAccuracyBefore: before?.accuracy ?? null,
      heldOutAccuracyAfter: after?.accuracy ?? null,
      formatRateBefore: before?.format ?? null,
      formatRateAfter: after?.format ?? null,
      meanLengthBefore: before?.meanLength ?? null,
      meanLengthAfter: after?.meanLength ?? null,
      rewardFirst: weightSum > 0 ? finiteOrNull(meanOf(rewards.slice(0, window)) / weightSum) : null,
      rewardLast: weightSum > 0 ? finiteOrNull(meanOf(rewards.slice(-window)) / weightSum) : null,
      heldOutProblems: source.heldOut.length,
      peakRssMiB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
      seed: config.seed,
      runDir: runDir.path,
      finalCheckpoint: runDir.checkpointDir(finalStep),
    };
    if (config.trainer === "sft") Object.assign(summary, { evalLossBefore: finiteOrNull(evalLossBefore), evalLossAfter: finiteOrNull(evalLossAfter) });
    await runDir.writeSummary(summary);
    await writeRunReport(runDir, summary, before, after);
    log(`summary: ${runDir.file("summary")}; report: ${runDir.file("report")}`);
    return summary;
  } finally {
    bundle.model.dispose();
  }
}

function tapRunHooks(
  trainer: GRPOTrainer,
  runDir: RunDirectory,
  config: RunConfig,
  steps: number,
  started: number,
  options: RunJobOptions,
  sampleRss: () => void,
  evaluate: (step: number, phase: EvalRecord["phase"]) => Promise<EvalRecord | undefined>,
  bundleConfig: () => BundleConfig,
): void {
  const firstStep = trainer.step;
  trainer.hooks.afterStep.tapPromise("run-directory", async ({ step, metrics }) => {
    sampleRss();
    await runDir.appendMetrics({ ...metrics });
    await runDir.appendSamples(trainer.lastSamples.map((s) => ({ step, phase: "train", prompt: s.prompt, completion: s.completion, reward: s.reward })));
    const elapsed = (performance.now() - started) / 1000;
    const done = trainer.history.length - firstStep;
    options.onProgress?.({ step, steps, metrics, elapsedSeconds: elapsed, etaSeconds: (elapsed / Math.max(done, 1)) * (steps - step - 1) });
    if (config.eval.every > 0 && (step + 1) % config.eval.every === 0 && step + 1 < steps) await evaluate(step + 1, "during");
    if (config.checkpointEvery > 0 && (step + 1) % config.checkpointEvery === 0 && step + 1 < steps) {
      // The checkpoint of step k holds the state before step k runs (k steps done).
      trainer.step = step + 1;
      try {
        await trainer.save(runDir.checkpointDir(step + 1), bundleConfig());
      } finally {
        trainer.step = step;
      }
    }
  });
}

/** The held-out numbers of one evaluation: accuracy = share of rows whose task reward is full marks. */
export function evalRecord(step: number, phase: EvalRecord["phase"], result: EvaluationResult, task: string): EvalRecord {
  const accuracyName = "accuracy" in result.rewardMeans ? "accuracy" : task === "countdown" && "countdown" in result.rewardMeans ? "countdown" : undefined;
  let accuracy: number | null = null;
  if (accuracyName) {
    const scored = result.rows.map((r) => r.scores[accuracyName]).filter((v): v is number => v !== null);
    accuracy = scored.length ? scored.filter((v) => v >= 1).length / scored.length : null;
  }
  const format = "format" in result.rewardMeans ? finiteOrNull(result.rewardMeans.format) : null;
  return { step, phase, accuracy, format, meanLength: result.meanCompletionTokens, truncatedRate: result.truncatedRate, rewards: result.rewardMeans };
}

export async function writeRunReport(runDir: RunDirectory, summary: RunSummary, before: EvalRecord | undefined, after: EvalRecord | undefined): Promise<void> {
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

function fmt(v: number | null): string {
  return v === null ? "n/a" : `${(v * 100).toFixed(1)}%`;
}
