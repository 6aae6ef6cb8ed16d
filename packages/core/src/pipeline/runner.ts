/**
 * The pipeline runner. It loads the plugins (the built-in stages first), checks the whole config against
 * the registered stages (nothing runs if any stage's options or inputs are wrong), then runs the stages in
 * order, each in `<runDir>/stages/<id>`:
 *   - a stage whose fingerprint (core version, stage name and version, resolved options, rewards, evaluation,
 *     task, seed, backend and the fingerprints of its inputs) matches its stage.json, and whose outputs are untouched, is skipped;
 *   - a stage interrupted during an attempt at the same work resumes from its newest checkpoint;
 *   - anything else starts afresh in an emptied directory.
 * The models the pipeline starts from are evaluated on held-out problems first, and after a stage that
 * makes a model, its model (every evaluation goes to evals.jsonl and the run's onEval hook). Trainer events
 * reach the run's hooks tagged with the stage; the pipeline hooks fire before, after (or instead of) every
 * stage. The run directory ends with summary.json and summary.md (the per-stage table).
 *
 * A run config runs here too, as a one-stage pipeline in the "single" layout: the stage's directory is
 * the run directory itself, and the caller (runJob) writes the run's own config.json and summary.json.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { lastBackendSelection, setBackend } from "../backend/registry.ts";
import { type EvalReport, describeEval, evalMetrics } from "../eval/eval-report.ts";
import { type EvalSettings, evalSeed } from "../eval/eval-settings.ts";
import type { Evaluator } from "../eval/evaluator.ts";
import { writeFileAtomic } from "../io/atomic-write.ts";
import { CORE_VERSION } from "../plugin/core-version.ts";
import { createRunContext, type PluginSpec, type RunContext } from "../plugin/run-context.ts";
import type { RewardRunner } from "../reward/runner.ts";
import { type ModelBundle, loadModelBundle } from "../run/model-bundle.ts";
import { chatTokenizerOf } from "../run/hf-bundle.ts";
import { type EvalPhase, RunDirectory } from "../run/run-directory.ts";
import { loadTask } from "../tasks/task-factory.ts";
import type { Task } from "../tasks/task.ts";
import { type CheckpointStore, latestValidCheckpoint } from "../train/checkpoint-store.ts";
import { createTrainerControl } from "../train/hooks/trainer-control.ts";
import type { TrainerHooks } from "../train/hooks/trainer-hooks.ts";
import { type Artifact, type ArtifactKind, artifactProblem, outputLocation } from "./artifact.ts";
import { PipelineError, StageError } from "./errors.ts";
import { hashJson, hashPath } from "./fingerprint.ts";
import { forwardTrainerHooks } from "./forward-hooks.ts";
import type { PipelineConfig } from "./pipeline-config-schema.ts";
import { pipelineHooks } from "./pipeline-hooks.ts";
import { type PipelinePlan, type PlannedStage, planPipeline } from "./plan.ts";
import type { StageContext, StageProgress, StageResult } from "./stage.ts";
import { STAGE_FILES, type StageRecord, readStageRecord, readStartedRecord, writeStageRecord, writeStartedRecord } from "./stage-record.ts";
import { builtinStagesPlugin } from "./stages/index.ts";
import { formatPipelineTable, pipelineTableMarkdown } from "./table.ts";

export interface PipelineProgress extends StageProgress {
  stage: string;
  index: number;
  total: number;
}

export interface RunPipelineOptions {
  /** Where relative paths of the config resolve from (the config file's folder). Default: cwd. */
  baseDir?: string;
  /** Plugins loaded before the config's (e.g. the built-in rewards); core's stages are always loaded. */
  builtins?: readonly PluginSpec[];
  /** Turns an artifact path into an absolute path (e.g. `builtin:` names); default: resolve from baseDir. */
  resolvePath?: (path: string, kind: ArtifactKind) => string;
  /** Overrides the config's run directory. */
  runDir?: string;
  /** Empty the run directory first: every stage runs again. */
  fresh?: boolean;
  /** Names the config in errors. */
  source?: string;
  log?: (line: string) => void;
  onProgress?: (progress: PipelineProgress) => void;
  /** Called with the run context once plugins are set up (e.g. to tap hooks in code). */
  onContext?: (context: RunContext) => void | Promise<void>;
  /** Called once the backend is chosen and the run directory exists, before any stage (runJob writes config.json). */
  onStart?: (run: { runDir: string; backend: string }) => void | Promise<void>;
  /**
   * "pipeline" (default): stage directories are `<runDir>/stages/<id>`. "single": a one-stage pipeline whose
   * stage directory is the run directory; the runner then writes no pipeline.json / summary files.
   */
  layout?: "pipeline" | "single";
  /**
   * Continue a stage that did not complete with this config from its newest checkpoint, even when its config
   * changed since (`r1ts run --resume`). Without it, a changed stage starts afresh.
   */
  resume?: boolean;
}

export type StageStatus = "ran" | "resumed" | "skipped";

export interface PipelineStageSummary {
  id: string;
  stage: string;
  status: StageStatus;
  record: StageRecord;
}

export interface PipelineInputSummary {
  name: string;
  kind: ArtifactKind;
  path: string;
  eval?: EvalReport;
}

export interface PipelineSummary {
  name: string;
  /** The task's name (or the training data file); undefined without one. */
  task?: string;
  runDir: string;
  backend: string;
  seconds: number;
  inputs: PipelineInputSummary[];
  stages: PipelineStageSummary[];
}

export const PIPELINE_FILES = { config: "pipeline.json", summary: "summary.json", table: "summary.md" } as const;

export async function runPipeline(config: PipelineConfig, options: RunPipelineOptions = {}): Promise<PipelineSummary> {
  const started = performance.now();
  const baseDir = options.baseDir ?? process.cwd();
  const log = options.log ?? (() => {});
  const single = options.layout === "single";
  if (single && config.stages.length !== 1) throw new PipelineError(`the single layout runs one stage, but the config lists ${config.stages.length}`);
  const context = await createRunContext({
    plugins: config.plugins, builtins: [builtinStagesPlugin, ...(options.builtins ?? [])], baseDir, config, warn: (m) => log(`warning: ${m}`),
  });
  const plan = planPipeline(config, context, { resolvePath: options.resolvePath ?? ((p) => resolve(baseDir, p)), source: options.source });
  await options.onContext?.(context);

  // Chat prompts are rendered with the chat template of the model the pipeline starts from.
  const startModel = plan.artifacts.base ?? Object.values(plan.artifacts).find((a) => a.kind === "model");
  const task = await loadTask(config, baseDir, { formatter: async () => (startModel ? chatTokenizerOf(startModel.path) : undefined) });
  await setBackend(config.backend, undefined, context.backends);
  const backend = lastBackendSelection()?.chosen ?? config.backend;
  const runDir = resolve(options.runDir ?? config.runDir ?? join(config.output, config.name));
  if (options.fresh) await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  if (!single) await writeFileAtomic(join(runDir, PIPELINE_FILES.config), JSON.stringify(resolvedConfig(config, plan, backend), null, 2) + "\n");
  await options.onStart?.({ runDir, backend });
  log(`${single ? "run" : "pipeline"} ${config.name}: ${single ? plan.stages[0].stage.name : `${plan.stages.length} stages`} on the ${backend} backend; run directory ${runDir}`);

  const hooks = pipelineHooks(context.container);
  const runFiles = await RunDirectory.create({ dir: runDir });
  const evalEvent = (step: number, stage: string, metrics: Record<string, number>) => context.hooks.onEval.promise({ step, trainer: "evaluation", stage, control: createTrainerControl(), metrics });
  const dataFingerprint = config.data ? { ...config.data, train: await hashPath(resolve(baseDir, config.data.train)), eval: config.data.eval ? await hashPath(resolve(baseDir, config.data.eval)) : null } : null;
  const produced = new Map<string, Artifact>();
  const external = new Map<string, Artifact>();
  const externalArtifact = async (name: string): Promise<Artifact> => {
    let a = external.get(name);
    if (!a) {
      const p = plan.artifacts[name];
      a = { kind: p.kind, path: p.path, fingerprint: await hashPath(p.path), producer: `artifacts.${name}` };
      external.set(name, a);
    }
    return a;
  };

  // Held-out numbers of the models the pipeline starts from (the table's first rows; a run's "before").
  const inputs: PipelineInputSummary[] = [];
  const usedModels = [...new Set(plan.stages.flatMap((s) => Object.values(s.inputs).flatMap((i) => (i.source.type === "artifact" && i.kind === "model" ? [i.source.name] : []))))];
  for (const name of usedModels) {
    const artifact = await externalArtifact(name);
    const summary: PipelineInputSummary = { name, kind: artifact.kind, path: artifact.path };
    if (task && config.rewards.length > 0 && config.eval.problems > 0) {
      const settings = { ...config.eval, seed: evalSeed(config.eval, config.seed) };
      const { report, fresh } = await evaluateInput(runDir, name, artifact, task, context, settings, config, log);
      if (fresh) {
        await runFiles.recordEval(0, "before", report);
        await evalEvent(0, name, evalMetrics(report));
      }
      summary.eval = report;
    }
    inputs.push(summary);
  }

  const rows: PipelineStageSummary[] = [];
  for (const planned of plan.stages) {
    const where = { id: planned.id, stage: planned.stage.name, index: planned.index, total: plan.stages.length };
    const dir = single ? runDir : join(runDir, "stages", planned.id);
    const stageInputs: Record<string, Artifact> = {};
    for (const [name, input] of Object.entries(planned.inputs)) {
      stageInputs[name] = input.source.type === "artifact" ? await externalArtifact(input.source.name) : produced.get(`${input.source.stageId}.${input.source.output}`)!;
    }
    const fingerprint = hashJson({
      core: CORE_VERSION, stage: planned.stage.name, version: planned.stage.version, options: resultOptions(planned.options), rewards: planned.rewards ?? null, eval: planned.eval,
      task: config.task ?? null, data: dataFingerprint, seed: config.seed, backend, inputs: Object.fromEntries(Object.entries(stageInputs).map(([n, a]) => [n, a.fingerprint])),
    });

    const done = await readStageRecord(dir);
    if (done && done.fingerprint === fingerprint && (await outputsIntact(done, runDir))) {
      for (const [name, out] of Object.entries(done.outputs)) {
        produced.set(`${planned.id}.${name}`, { kind: out.kind, path: join(runDir, out.path), fingerprint: out.fingerprint, producer: `stage "${planned.id}" (${planned.stage.name}), output "${name}"` });
      }
      log(`[${planned.id}] skipped: completed earlier with the same config and inputs`);
      await hooks.stageSkipped.promise({ ...where, dir, record: done });
      rows.push({ id: planned.id, stage: planned.stage.name, status: "skipped", record: done });
      continue;
    }

    // An attempt at the same work that did not complete resumes; so does any earlier attempt with `resume`.
    const attempt = await readStartedRecord(dir);
    const sameWork = !done && attempt?.fingerprint === fingerprint;
    const forced = options.resume === true && (attempt !== undefined || done !== undefined);
    const checkpoints = context.parts.checkpointStore.create(dir);
    let resumeFrom: string | undefined;
    let attempts = 1;
    if (sameWork || forced) {
      resumeFrom = (await latestValidCheckpoint(checkpoints, (m) => log(`[${planned.id}] warning: ${m}`)))?.location;
      attempts = (attempt?.attempts ?? 1) + 1;
      if (!sameWork) log(`[${planned.id}] its config changed since the interrupted attempt; resuming anyway, as asked`);
      await rm(join(dir, STAGE_FILES.record), { force: true });
    } else if (single && (attempt !== undefined || done !== undefined)) {
      throw new PipelineError(`run directory ${dir} holds a run of another config; continue it with --resume (resume: true), or give another run directory`);
    } else if (!single) {
      await rm(dir, { recursive: true, force: true });
    }
    await mkdir(dir, { recursive: true });
    await writeStartedRecord(dir, { fingerprint, attempts });
    const files = await RunDirectory.create({ dir });
    // What follows the checkpoint (or everything, without one) is written again.
    if (attempts > 1 && !resumeFrom) await files.truncateFrom(0);
    const records = new Map(rows.map((r) => [r.id, r.record]));
    const ctx = stageContext(planned, { dir, config, context, task, inputs: stageInputs, files, checkpoints, resumeFrom, resuming: attempts > 1, log, onProgress: options.onProgress, total: plan.stages.length, records, seed: config.seed });

    log(`[${planned.id}] ${planned.stage.name}${resumeFrom ? ` (resuming from ${relative(runDir, resumeFrom)})` : attempts > 1 ? " (the interrupted attempt left no checkpoint: starting over)" : ""}`);
    await hooks.beforeStage.promise({ ...where, dir, resumeFrom });
    const t0 = performance.now();
    let result: StageResult;
    try {
      result = (await planned.stage.run(ctx, planned.options)) ?? {};
    } catch (error) {
      if (error instanceof PipelineError) throw error;
      const wrapped = new StageError(planned.id, planned.stage.name, `failed: ${(error as Error)?.message ?? String(error)}. Running ${single ? "it again with --resume" : "the pipeline again"} resumes it from its newest checkpoint.`);
      wrapped.cause = error;
      throw wrapped;
    }

    const outputs: StageRecord["outputs"] = {};
    for (const [name, spec] of Object.entries(planned.stage.outputs)) {
      const path = outputLocation(dir, name, spec.kind);
      const problem = artifactProblem(path, spec.kind);
      if (problem) throw new StageError(planned.id, planned.stage.name, `did not write its output "${name}" (${spec.kind}): ${problem}`);
      const artifact: Artifact = { kind: spec.kind, path, fingerprint: await hashPath(path), producer: `stage "${planned.id}" (${planned.stage.name}), output "${name}"` };
      produced.set(`${planned.id}.${name}`, artifact);
      outputs[name] = { kind: spec.kind, path: relative(runDir, path), fingerprint: artifact.fingerprint };
    }
    let evalReport = result.eval;
    const modelOutput = Object.entries(planned.stage.outputs).find(([, s]) => s.kind === "model")?.[0];
    if (planned.eval && modelOutput && task) {
      const bundle = await loadModelBundle(produced.get(`${planned.id}.${modelOutput}`)!.path, context.tokenizers);
      try {
        evalReport = await context.parts.evaluator.evaluate(bundle, task.heldOut(planned.eval.problems), ctx.rewards(), { ...planned.eval, seed: evalSeed(planned.eval, config.seed) });
      } finally {
        bundle.model.dispose();
      }
      const step = typeof result.metrics?.steps === "number" ? result.metrics.steps : 0;
      await files.recordEval(step, "after", evalReport);
      await evalEvent(step, planned.id, evalMetrics(evalReport));
      log(`[${planned.id}] held-out: ${describeEval(evalReport)}`);
    }
    const record: StageRecord = {
      id: planned.id,
      stage: planned.stage.name,
      version: planned.stage.version,
      fingerprint,
      inputs: Object.fromEntries(Object.entries(stageInputs).map(([n, a]) => [n, { ref: planned.inputs[n].ref, fingerprint: a.fingerprint, path: a.path }])),
      outputs,
      ...(evalReport ? { eval: evalReport } : {}),
      metrics: result.metrics ?? {},
      tokens: { generated: result.tokens?.generated ?? 0, trained: result.tokens?.trained ?? 0 },
      ...(result.note ? { note: result.note } : {}),
      seconds: (performance.now() - t0) / 1000,
      attempts,
      ...(resumeFrom ? { resumedFrom: relative(runDir, resumeFrom) } : {}),
    };
    await writeStageRecord(dir, record);
    log(`[${planned.id}] done in ${record.seconds.toFixed(1)} s${record.note ? `: ${record.note}` : ""}`);
    await hooks.afterStage.promise({ ...where, dir, record });
    rows.push({ id: planned.id, stage: planned.stage.name, status: resumeFrom ? "resumed" : "ran", record });
  }

  const summary: PipelineSummary = { name: config.name, task: task?.name, runDir, backend, seconds: (performance.now() - started) / 1000, inputs, stages: rows };
  if (!single) {
    await writeFileAtomic(join(runDir, PIPELINE_FILES.summary), JSON.stringify(summary, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
    await writeFileAtomic(join(runDir, PIPELINE_FILES.table), pipelineTableMarkdown(summary));
    log(`\n${formatPipelineTable(summary)}`);
  }
  return summary;
}

interface ContextParts {
  dir: string;
  config: PipelineConfig;
  context: RunContext;
  task: Task | undefined;
  inputs: Record<string, Artifact>;
  files: RunDirectory;
  checkpoints: CheckpointStore;
  resumeFrom: string | undefined;
  /** A later attempt at this work (from a checkpoint, or from step 0 when it left none). */
  resuming: boolean;
  log: (line: string) => void;
  onProgress: RunPipelineOptions["onProgress"];
  total: number;
  records: ReadonlyMap<string, StageRecord>;
  seed: number;
}

function stageContext(planned: PlannedStage, p: ContextParts): StageContext {
  const { id } = planned;
  const name = planned.stage.name;
  let runner: RewardRunner | undefined;
  const rewards = (): RewardRunner => {
    if (!planned.rewards) throw new StageError(id, name, "needs rewards, but neither the stage nor the pipeline lists any");
    runner ??= p.context.createRewardRunner(planned.rewards, { warn: (m) => p.log(`[${id}] warning: ${m}`) });
    return runner;
  };
  return Object.freeze({
    id,
    stage: name,
    dir: p.dir,
    pipeline: p.config.name,
    seed: p.config.seed,
    inputs: Object.freeze({ ...p.inputs }),
    outputPath(output: string): string {
      const spec = planned.stage.outputs[output];
      if (!spec) throw new StageError(id, name, `has no declared output "${output}" (declared: ${Object.keys(planned.stage.outputs).join(", ") || "none"})`);
      return outputLocation(p.dir, output, spec.kind);
    },
    taskConfig: p.config.task,
    task(): Task {
      if (!p.task) throw new StageError(id, name, "needs a task, but the pipeline has none (add task: or data: at the top of the config)");
      return p.task;
    },
    evalSettings: p.config.eval,
    evalEvery: planned.eval ? planned.eval.every : 0,
    heldOutEvaluator(bundle: ModelBundle): Evaluator | undefined {
      const settings = planned.eval;
      if (!settings || settings.every === 0 || !p.task) return undefined;
      const heldOut = p.task.heldOut(settings.problems);
      return {
        name: "held-out",
        evaluate: async (step) => {
          const report = await p.context.parts.evaluator.evaluate(bundle, heldOut, rewards(), { ...settings, seed: evalSeed(settings, p.seed) });
          await p.files.recordEval(step, "during" satisfies EvalPhase, report);
          p.log(`[${id}] held-out (step ${step}): ${describeEval(report)}`);
          return evalMetrics(report);
        },
      };
    },
    rewards,
    rewardUses: Object.freeze([...(planned.rewards ?? [])]),
    pluginSpecs: Object.freeze([...(p.config.plugins ?? [])]),
    async loadModel(input: string) {
      const artifact = p.inputs[input];
      if (!artifact) throw new StageError(id, name, `has no input "${input}"`);
      if (artifact.kind !== "model") throw new StageError(id, name, `input "${input}" is ${artifact.kind}, not a model`);
      return loadModelBundle(artifact.path, p.context.tokenizers);
    },
    rolloutEngine(bundle: ModelBundle) {
      return p.context.parts.rolloutEngine.create({ model: bundle.model, tokenizer: bundle.tokenizer, eosTokenId: bundle.eosTokenId, stage: id });
    },
    metricsSinks: p.context.parts.metricsSinks,
    hooks: p.context.hooks,
    attachTrainer(trainerHooks: TrainerHooks) {
      forwardTrainerHooks(trainerHooks, p.context.hooks, id);
    },
    runContext: p.context,
    files: p.files,
    checkpoints: p.checkpoints,
    earlierStage: (other: string) => p.records.get(other),
    resumeFrom: p.resumeFrom,
    resuming: p.resuming,
    log: (message: string) => p.log(`[${id}] ${message}`),
    progress: (progress: StageProgress) => p.onProgress?.({ ...progress, stage: id, index: planned.index, total: p.total }),
  });
}

async function outputsIntact(record: StageRecord, runDir: string): Promise<boolean> {
  for (const out of Object.values(record.outputs)) {
    const path = join(runDir, out.path);
    if (artifactProblem(path, out.kind) !== undefined) return false;
    if ((await hashPath(path)) !== out.fingerprint) return false;
  }
  return true;
}

/** Evaluates a model the pipeline starts from, once per model / settings / rewards / task (cached in <runDir>/inputs). */
async function evaluateInput(runDir: string, name: string, artifact: Artifact, task: Task, context: RunContext, settings: EvalSettings & { seed: number }, config: PipelineConfig, log: (l: string) => void): Promise<{ report: EvalReport; fresh: boolean }> {
  const file = join(runDir, "inputs", `${name}.eval.json`);
  const key = hashJson({ model: artifact.fingerprint, settings, rewards: config.rewards, task: config.task ?? null, data: config.data ?? null });
  try {
    const cached = JSON.parse(await readFile(file, "utf8")) as { key: string; report: EvalReport };
    if (cached.key === key) return { report: cached.report, fresh: false };
  } catch {
    // not evaluated yet
  }
  // The reward workers start while the model loads and the first graphs build.
  const rewards = context.createRewardRunner(config.rewards);
  rewards.warm?.();
  const bundle = await loadModelBundle(artifact.path, context.tokenizers);
  let report: EvalReport;
  try {
    report = await context.parts.evaluator.evaluate(bundle, task.heldOut(settings.problems), rewards, settings);
  } finally {
    bundle.model.dispose();
  }
  await mkdir(join(runDir, "inputs"), { recursive: true });
  await writeFileAtomic(file, JSON.stringify({ key, report }, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
  log(`[${name}] held-out: ${describeEval(report)}`);
  return { report, fresh: true };
}

function resolvedConfig(config: PipelineConfig, plan: PipelinePlan, backend: string): unknown {
  return {
    ...config,
    resolvedBackend: backend,
    artifacts: Object.fromEntries(Object.values(plan.artifacts).map((a) => [a.name, { kind: a.kind, path: a.path }])),
    stages: plan.stages.map((s) => ({ ...s.entry, id: s.id, options: s.options, eval: s.eval })),
  };
}

/**
 * The options that decide a stage's result: where rollouts are generated or rewards scored (the Redis,
 * queue and weight store of `rollout`) does not change them (docs/distributed.md); maxStaleness and importanceCap do.
 */
function resultOptions(options: unknown): unknown {
  const o = options as { rollout?: { maxStaleness?: number; importanceCap?: number } } | undefined;
  if (!o || typeof o !== "object" || !o.rollout) return options;
  return { ...o, rollout: { maxStaleness: o.rollout.maxStaleness ?? 0, importanceCap: o.rollout.importanceCap ?? 2 } };
}
