/**
 * The stage contract. A stage is a plain object registered by a plugin (`api.registerStage(stage)`),
 * made with `defineStage`: a name, an options schema, the artifacts it takes (`inputs`) and makes
 * (`outputs`), and `run(ctx, options)`. The pipeline runner checks every stage's options and inputs
 * before the first stage runs, gives each stage its own directory, and records what it produced.
 */
import { z } from "zod";
import type { EvalReport } from "../eval/eval-report.ts";
import type { EvalSettings } from "../eval/eval-settings.ts";
import type { Evaluator } from "../eval/evaluator.ts";
import type { StageDefinition } from "../plugin/contributions.ts";
import type { RunContext } from "../plugin/run-context.ts";
import type { RewardRunner } from "../reward/runner.ts";
import type { ModelBundle } from "../run/model-bundle.ts";
import type { RunDirectory } from "../run/run-directory.ts";
import type { TaskConfig } from "../tasks/task-config.ts";
import type { Task } from "../tasks/task.ts";
import type { RolloutEngine } from "../sampling/rollout-engine.ts";
import type { CheckpointStore } from "../train/checkpoint-store.ts";
import type { MetricsSink } from "../train/metrics-sink.ts";
import type { RunHooks } from "../train/hooks/run-hooks.ts";
import type { TrainerHooks } from "../train/hooks/trainer-hooks.ts";
import type { StageRecord } from "./stage-record.ts";
import { ARTIFACT_KINDS, type Artifact, type ArtifactKind } from "./artifact.ts";
import { PipelineError } from "./errors.ts";

export interface StageInputSpec {
  readonly kind: ArtifactKind;
  /** May be left out of the config (default false). */
  readonly optional?: boolean;
  readonly description?: string;
}

export interface StageOutputSpec {
  readonly kind: ArtifactKind;
  readonly description?: string;
}

/** What a stage reports back; the runner adds it to the stage's record and the pipeline's table. */
export interface StageResult {
  /** A few numbers worth a column (e.g. `kept`, `generated`, `finalLoss`). */
  metrics?: Record<string, number | null>;
  /** Tokens generated (sampling) and trained on (forward + backward) by this stage. */
  tokens?: { generated?: number; trained?: number };
  /** One short line for the table (e.g. "kept 312 of 1024 samples"). */
  note?: string;
  /** A held-out evaluation this stage made (eval stages): shown in the pipeline's table. */
  eval?: EvalReport;
}

export interface StageProgress {
  step: number;
  steps: number;
  metrics?: Readonly<Record<string, number>>;
  /** Seconds since the stage's (this attempt's) first step, and an estimate of those left. */
  elapsedSeconds?: number;
  etaSeconds?: number;
}

/** What a stage's `run` receives besides its options. */
export interface StageContext {
  /** The stage's id in this pipeline (`r1-zero`). */
  readonly id: string;
  /** The registered stage name (`grpo`). */
  readonly stage: string;
  /** Its directory: `<runDir>/stages/<id>`; metrics.jsonl, checkpoints/ and outputs go here. */
  readonly dir: string;
  readonly pipeline: string;
  /** The pipeline's seed. */
  readonly seed: number;
  /** The artifacts given to its declared inputs (optional ones may be absent). */
  readonly inputs: Readonly<Record<string, Artifact>>;
  /** Where to write the declared output `name` (a bundle directory, a .jsonl or a .json file). */
  outputPath(name: string): string;
  /** The pipeline's task config; undefined when the pipeline has none. */
  readonly taskConfig: TaskConfig | undefined;
  /** The task (training prompts, held-out problems); fails when the pipeline has no task. */
  task(): Task;
  /** The pipeline's held-out evaluation settings. */
  readonly evalSettings: EvalSettings;
  /** Evaluate the stage's model every this many training steps (its eval settings' `every`; 0 = never). */
  readonly evalEvery: number;
  /** The held-out evaluation of `bundle` during training (writes evals.jsonl), when the stage has one. */
  heldOutEvaluator(bundle: ModelBundle): Evaluator | undefined;
  /** The stage's rewards (its own `rewards:` list, else the pipeline's), as a weighted runner. */
  rewards(): RewardRunner;
  /** The same rewards as the config lists them (for runners that score elsewhere, on workers). */
  readonly rewardUses: readonly unknown[];
  /** The pipeline's plugin list as written in its config (what workers load to score those rewards). */
  readonly pluginSpecs: readonly unknown[];
  /** Loads a model input as a bundle (model, tokenizer, EOS id). The caller disposes `bundle.model`. */
  loadModel(input: string): Promise<ModelBundle>;
  /** The run's rollout engine for a policy (the container's: the default, or a plugin's). */
  rolloutEngine(bundle: ModelBundle): RolloutEngine | Promise<RolloutEngine>;
  /** The run's metrics sinks (plugins'): trainInStage sends them every onLog event of the stage's trainer. */
  readonly metricsSinks: readonly MetricsSink[];
  /** The run's hooks (plugins tap these). Attach trainers with `attachTrainer` so their events reach it. */
  readonly hooks: RunHooks;
  /** Forwards every event of a trainer's hooks to the run's hooks, tagged with this stage's id. */
  attachTrainer(trainerHooks: TrainerHooks): void;
  /** The run's plugin context (rewards, stages, container). */
  readonly runContext: RunContext;
  /** metrics.jsonl, samples.jsonl, evals.jsonl and checkpoints/ of this stage. */
  readonly files: RunDirectory;
  /** The record of a stage that completed earlier in this pipeline (ran or skipped), by id. */
  earlierStage(id: string): StageRecord | undefined;
  /** Where the stage's trainer keeps its checkpoints (`<dir>/checkpoints`). */
  readonly checkpoints: CheckpointStore;
  /** The newest valid checkpoint of an interrupted attempt at this same work: continue from it. */
  readonly resumeFrom: string | undefined;
  /** Whether this is a later attempt (from resumeFrom, or from step 0 when the earlier one left no checkpoint). */
  readonly resuming: boolean;
  log(message: string): void;
  progress(progress: StageProgress): void;
}

export interface PipelineStage<O = any> extends StageDefinition<O, StageContext, StageResult | void> {
  readonly name: string;
  readonly description: string;
  /** Part of every fingerprint: bump it when the stage would now produce different outputs. */
  readonly version: string;
  readonly options: z.ZodType<O>;
  readonly inputs: Readonly<Record<string, StageInputSpec>>;
  readonly outputs: Readonly<Record<string, StageOutputSpec>>;
  /** Whether the pipeline must have a task / rewards for this stage (checked before any stage runs). */
  readonly needs: { readonly task: boolean; readonly rewards: boolean };
  run(ctx: StageContext, options: O): Promise<StageResult | void>;
}

export interface StageSpec<S extends z.ZodType> {
  name: string;
  description?: string;
  version?: string;
  options?: S;
  inputs?: Record<string, StageInputSpec>;
  outputs?: Record<string, StageOutputSpec>;
  needs?: { task?: boolean; rewards?: boolean };
  run(ctx: StageContext, options: z.output<S>): Promise<StageResult | void>;
}

const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

/** Checks a stage definition and returns it frozen; register it with `api.registerStage`. */
export function defineStage<S extends z.ZodType = z.ZodObject<{}>>(spec: StageSpec<S>): PipelineStage<z.output<S>> {
  const where = `defineStage(${JSON.stringify(spec?.name ?? null)})`;
  if (typeof spec?.name !== "string" || !NAME.test(spec.name)) throw new PipelineError(`${where}: name must be letters, digits, '.', '_' or '-'`);
  if (typeof spec.run !== "function") throw new PipelineError(`${where}: run must be a function (ctx, options) => Promise<StageResult | void>`);
  for (const [group, specs] of [["inputs", spec.inputs], ["outputs", spec.outputs]] as const) {
    for (const [name, s] of Object.entries(specs ?? {})) {
      if (!NAME.test(name)) throw new PipelineError(`${where}: ${group} name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-'`);
      if (!ARTIFACT_KINDS.includes(s?.kind)) throw new PipelineError(`${where}: ${group}.${name}.kind must be one of ${ARTIFACT_KINDS.join(", ")}, got ${JSON.stringify(s?.kind)}`);
    }
  }
  return Object.freeze({
    name: spec.name,
    description: spec.description ?? "",
    version: spec.version ?? "1",
    options: (spec.options ?? z.object({}).strict()) as z.ZodType<z.output<S>>,
    inputs: Object.freeze({ ...spec.inputs }),
    outputs: Object.freeze({ ...spec.outputs }),
    needs: Object.freeze({ task: spec.needs?.task ?? false, rewards: spec.needs?.rewards ?? false }),
    run: spec.run,
  });
}

/**
 * Any registered stage as a PipelineStage: stages registered with only the minimal contract
 * (`{ name, run }`) take no inputs, make no outputs, and receive their options as given.
 */
export function asPipelineStage(stage: StageDefinition): PipelineStage {
  const s = stage as Partial<PipelineStage>;
  return {
    name: stage.name,
    description: stage.description ?? "",
    version: s.version ?? "1",
    options: stage.options ?? z.record(z.string(), z.unknown()),
    inputs: s.inputs ?? {},
    outputs: s.outputs ?? {},
    needs: s.needs ?? { task: false, rewards: false },
    run: stage.run as PipelineStage["run"],
  };
}
