/**
 * The trainer lifecycle every trainer shares (GRPO, SFT, distillation are subclasses that implement
 * `runStep`, their own state, and their loss):
 *
 *   while step < steps and no tap asked to stop:
 *     beforeStep -> runStep (host work + the numerical update) -> MoE bias update -> history
 *     afterStep -> onLog (every logEvery steps and the last) -> step += 1
 *     every evalEvery steps: the evaluators -> onEval
 *     every checkpointEvery steps: beforeCheckpoint -> a checkpoint in the store (the newest
 *       keepCheckpoints are kept)
 *   the final checkpoint
 *
 * A checkpoint holds everything needed to continue exactly: the model's weights (and a subclass's extra
 * weights, such as GRPO's reference model), the optimizer's moments, the step, the trainer's seeded
 * generator, the metrics history and the subclass's own state. The checkpoint of step k is the state
 * before step k runs (k steps done), so a run resumed from it repeats nothing and skips nothing.
 */
import type { R1tsError } from "../errors.ts";
import type { Evaluator } from "../eval/evaluator.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../io/checkpoint.ts";
import type { HostTensor } from "../io/safetensors.ts";
import { updateMoeBiases } from "../nn/moe-balance.ts";
import type { MoEForwardOptions } from "../nn/moe.ts";
import type { Module } from "../nn/module.ts";
import type { TransformerLM } from "../nn/transformer-lm.ts";
import type { AdamW } from "../optim/adamw.ts";
import type { LrSchedule } from "../optim/schedules.ts";
import { Generator, type GeneratorState } from "../random/generator.ts";
import { type CheckpointStore, latestValidCheckpoint, pruneCheckpoints } from "./checkpoint-store.ts";
import { type GradientStepResult, type MicroBatchLoss, gradientStep } from "./gradient-step.ts";
import { CapturedUpdates } from "./captured-update.ts";
import type { LogEvent, TrainerEvent } from "./hooks/events.ts";
import { type TrainerControl, createTrainerControl } from "./hooks/trainer-control.ts";
import type { TrainerHooks } from "./hooks/trainer-hooks.ts";
import { isMoeModel, trainingForwardOptions } from "./moe-balancing.ts";
import { createOptimizer, createSchedule } from "./optimization.ts";
import type { ResolvedTrainerLoop } from "./trainer-options.ts";

/** The parts a trainer is given besides its model and options; a run's container supplies them. */
export interface TrainerParts<H extends TrainerHooks = TrainerHooks> {
  /** Hooks to fire (e.g. a run's, tapped by plugins); default: fresh ones. */
  hooks?: H;
  /** Where checkpoints go: every checkpointEvery steps and after the last. Without one, only `save(dir)` writes. */
  checkpoints?: CheckpointStore;
  /** What every checkpoint carries as config.json (a model bundle's config makes a checkpoint a loadable model). */
  checkpointConfig?: () => unknown;
  /** Run every evalEvery steps; their metrics go to onEval. */
  evaluators?: readonly Evaluator[];
  /** Where warnings go (a corrupt checkpoint skipped on resume). Default: console.warn. */
  warn?: (message: string) => void;
}

/** What a subclass tells the base about itself. */
export interface TrainerKind<H extends TrainerHooks> {
  /** "grpo", "sft", "distill": in events and in every checkpoint (a checkpoint resumes only its own kind). */
  readonly kind: string;
  /** Its error class (bad data, a checkpoint of another trainer). */
  readonly error: new (message: string) => R1tsError;
  /** A fresh set of its hooks. */
  readonly createHooks: () => H;
  /** Steps of the LR schedule (default: steps; GRPO: steps x numIterations). */
  readonly scheduleSteps?: number;
  /** The module whose parameters are trained (default: the model; with LoRA, its adapters). */
  readonly trainable?: Module;
}

/** The metrics the base adds to a step's: the max / mean expert load over the MoE gates (MoE models only). */
export const MOE_LOAD_METRIC = "moe/maxLoadRatio";

export abstract class Trainer<M extends object, H extends TrainerHooks = TrainerHooks> {
  readonly kind: string;
  readonly hooks: H;
  readonly control: TrainerControl = createTrainerControl();
  readonly optimizer: AdamW;
  /** Optimizer steps taken so far. */
  step = 0;
  /** Every step's metrics, in order (restored on resume). */
  readonly history: M[] = [];
  /** The trainer's seeded generator (which rows or prompts a step draws); saved in every checkpoint. */
  protected readonly rng: Generator;
  protected readonly schedule: LrSchedule;
  /** The parameters the optimizer updates: the model's, or (LoRA) the adapters'. */
  protected readonly trainable: Module;
  /** What a training forward passes to MoE layers: count expert loads, the trainer's balance-loss alpha. */
  protected readonly moeForward: Omit<MoEForwardOptions, "auxLosses">;
  private readonly error: new (message: string) => R1tsError;
  private readonly checkpoints: CheckpointStore | undefined;
  private readonly checkpointConfig: () => unknown;
  private readonly evaluators: Evaluator[];
  private readonly warn: (message: string) => void;
  private readonly balancesExperts: boolean;

  protected constructor(
    readonly model: TransformerLM,
    readonly loop: ResolvedTrainerLoop,
    parts: TrainerParts<H>,
    kind: TrainerKind<H>,
  ) {
    this.kind = kind.kind;
    this.error = kind.error;
    this.hooks = parts.hooks ?? kind.createHooks();
    this.checkpoints = parts.checkpoints;
    this.checkpointConfig = parts.checkpointConfig ?? (() => null);
    this.evaluators = [...(parts.evaluators ?? [])];
    this.warn = parts.warn ?? ((m) => console.warn(m));
    this.trainable = kind.trainable ?? model;
    this.optimizer = createOptimizer(this.trainable, loop);
    this.schedule = createSchedule(loop, kind.scheduleSteps ?? loop.steps);
    this.rng = new Generator(loop.seed);
    this.moeForward = trainingForwardOptions(loop.moe.balanceLossAlpha);
    this.balancesExperts = isMoeModel(model) && loop.moe.biasUpdateSpeed > 0;
  }

  /** Adds an evaluation run every evalEvery steps (a subclass's own, e.g. SFT's held-out loss). */
  protected addEvaluator(evaluator: Evaluator): void {
    this.evaluators.unshift(evaluator);
  }

  /** One step's work: draw data, compute, update (through `update`); returns the step's metrics. */
  protected abstract runStep(): Promise<M>;

  /** Runs steps until `steps` (or a stop request), then saves the final checkpoint when there is a store. */
  async train(): Promise<M[]> {
    const { steps, logEvery, evalEvery, checkpointEvery } = this.loop;
    while (this.step < steps && !this.control.stopRequested) {
      await this.hooks.beforeStep.promise(this.event());
      const metrics = (await this.trainStep()) as unknown as Record<string, number>;
      await this.hooks.afterStep.promise({ ...this.event(), metrics });
      const last = this.step === steps - 1 || this.control.stopRequested;
      if (last || (logEvery > 0 && this.step % logEvery === 0)) await this.hooks.onLog.promise({ ...this.event(), metrics, samples: this.logSamples() });
      this.step++;
      if (evalEvery > 0 && this.step % evalEvery === 0 && this.step < steps && this.evaluators.length > 0) await this.evaluate();
      if (this.checkpoints && checkpointEvery > 0 && this.step % checkpointEvery === 0 && this.step < steps) await this.saveCheckpoint();
    }
    if (this.checkpoints) await this.saveCheckpoint();
    return this.history;
  }

  /** One step (without the hooks): `runStep`, then the MoE bias update; the metrics go into the history. */
  async trainStep(): Promise<M> {
    const metrics = await this.runStep();
    if (this.balancesExperts) {
      const ratios = await updateMoeBiases(this.model, this.loop.moe.biasUpdateSpeed);
      if (ratios.length > 0) Object.assign(metrics, { [MOE_LOAD_METRIC]: Math.max(...ratios) });
    }
    this.history.push(metrics);
    return metrics;
  }

  /** Runs the evaluators on the model as it is now and fires onEval with their metrics. */
  async evaluate(): Promise<Record<string, number>> {
    const metrics: Record<string, number> = {};
    for (const e of this.evaluators) Object.assign(metrics, await e.evaluate(this.step));
    await this.hooks.onEval.promise({ ...this.event(), metrics });
    return metrics;
  }

  /**
   * The numerical update of this step: every micro-batch's loss, backward, gradients summed, clipped to
   * maxGradNorm, one AdamW step at the schedule's rate for `scheduleStep` (default: the step).
   */
  protected update<B>(microBatches: readonly B[], lossOf: (microBatch: B, index: number) => MicroBatchLoss, scheduleStep = this.step): Promise<GradientStepResult> {
    return gradientStep(this.trainable.parameters(), this.optimizer, microBatches, lossOf, { lr: this.schedule(scheduleStep), maxGradNorm: this.loop.maxGradNorm });
  }

  /**
   * Whether `updateTensors` captures the update as one graph (compile/): by default, when the model's
   * backend builds graphs (onnx). Set it to false to run updates kernel by kernel.
   */
  captureUpdates: boolean | undefined;

  private capturedUpdates: CapturedUpdates | undefined;

  /**
   * The same update as `update`, for micro-batches that hold tensors only (every value that changes
   * between steps): captured as one graph per `key` and batch shape when `captureUpdates`, else eager.
   * `lossOf` must compute the same function of its micro-batch for a given key.
   */
  protected updateTensors<T>(key: string, microBatches: readonly T[], lossOf: (microBatch: T) => MicroBatchLoss, scheduleStep = this.step): Promise<GradientStepResult> {
    const options = { lr: this.schedule(scheduleStep), maxGradNorm: this.loop.maxGradNorm };
    if (!this.capturing()) return gradientStep(this.trainable.parameters(), this.optimizer, microBatches, (m) => lossOf(m), options);
    this.capturedUpdates ??= new CapturedUpdates(() => this.trainable.parameters(), this.optimizer);
    return this.capturedUpdates.run(key, microBatches, lossOf, options);
  }

  /**
   * Whether this trainer's updates are captured now (see `captureUpdates`). MoE models are not: their
   * routing reads the chosen experts back to the host to group tokens (see docs/backend-onnx.md).
   */
  protected capturing(): boolean {
    if (isMoeModel(this.model)) return false;
    return this.captureUpdates ?? typeof this.model.parameters()[0]?.backend.compileGraph === "function";
  }

  /** Graphs of the captured updates, and why updates ran eagerly instead (by update key, or "model"). */
  captureReport(): { graphs: ReturnType<CapturedUpdates["stats"]>; fallbacks: Record<string, string> } {
    const fallbacks = Object.fromEntries(this.capturedUpdates?.fallbacks ?? []);
    if (isMoeModel(this.model) && this.captureUpdates !== false) fallbacks.model = "MoE routing reads the chosen experts back to the host to group tokens, so MoE updates run kernel by kernel";
    return { graphs: this.capturedUpdates?.stats() ?? [], fallbacks };
  }

  /** Frees the captured updates' graphs. */
  protected disposeCapturedUpdates(): void {
    this.capturedUpdates?.dispose();
    this.capturedUpdates = undefined;
  }

  /** The sample completions onLog carries this step (GRPO's rollouts); none by default. */
  protected logSamples(): LogEvent["samples"] {
    return undefined;
  }

  /** A subclass's own state, saved in every checkpoint (JSON). */
  protected ownState(): Record<string, unknown> {
    return {};
  }

  protected restoreOwnState(_state: Record<string, unknown>): void {}

  /** Weights besides the model's, saved in every checkpoint (GRPO's reference model). */
  protected async extraWeights(): Promise<Record<string, HostTensor>> {
    return {};
  }

  /** Loads a checkpoint's weights (the model's, and a subclass's extra ones). */
  protected restoreWeights(weights: Record<string, HostTensor>): void {
    this.model.loadStateDict(weights);
  }

  /** Everything needed to continue exactly (see the file comment). */
  async checkpoint(config: unknown = this.checkpointConfig()): Promise<Checkpoint> {
    return {
      weights: { ...(await this.model.stateDict()), ...(await this.extraWeights()) },
      config,
      optimizer: await this.optimizer.state(),
      trainerState: { ...this.ownState(), trainer: this.kind, step: this.step, rng: this.rng.getState(), history: this.history },
    };
  }

  /** Writes a checkpoint of the current state to `dir` (after the beforeCheckpoint hook, whose taps may add metadata). */
  async save(dir: string, config: unknown = this.checkpointConfig()): Promise<void> {
    await saveCheckpoint(dir, await this.checkpointWithMetadata(dir, config));
  }

  /** Saves the current state into the store (the checkpoint of `step`) and keeps the newest keepCheckpoints. */
  async saveCheckpoint(): Promise<string> {
    if (!this.checkpoints) throw new this.error(`${this.kind} trainer: no checkpoint store to save into (give one in the trainer's parts, or call save(dir))`);
    const location = await this.checkpoints.save(this.step, await this.checkpointWithMetadata(this.checkpoints.location(this.step), this.checkpointConfig()));
    await pruneCheckpoints(this.checkpoints, this.loop.keepCheckpoints);
    return location;
  }

  private async checkpointWithMetadata(dir: string, config: unknown): Promise<Checkpoint> {
    const metadata: Record<string, unknown> = {};
    await this.hooks.beforeCheckpoint.promise({ ...this.event(), dir, metadata });
    const ckpt = await this.checkpoint(config);
    ckpt.trainerState = { ...ckpt.trainerState, metadata };
    return ckpt;
  }

  /** Restores the checkpoint in `dir`, written by a trainer of the same kind; training then continues exactly. */
  async resume(dir: string): Promise<void> {
    this.restore(await loadCheckpoint(dir), dir);
  }

  /**
   * Restores the newest checkpoint of the store that loads (a corrupt newer one is reported and skipped).
   * Returns where it came from, or undefined when the store holds none: the trainer then starts at step 0.
   */
  async resumeLatest(): Promise<string | undefined> {
    if (!this.checkpoints) throw new this.error(`${this.kind} trainer: no checkpoint store to resume from`);
    const found = await latestValidCheckpoint(this.checkpoints, this.warn);
    if (found) this.restore(found.checkpoint, found.location);
    return found?.location;
  }

  /** Restores a checkpoint object (`where` names it in errors). */
  restore(ckpt: Checkpoint, where: string): void {
    const state = ckpt.trainerState ?? {};
    if (state.trainer !== this.kind) throw new this.error(`checkpoint ${where} was not written by the ${this.kind} trainer (trainer: ${JSON.stringify(state.trainer)})`);
    if (!Number.isSafeInteger(state.step) || (state.step as number) < 0) throw new this.error(`checkpoint ${where}: trainer_state.json has no valid step (got ${JSON.stringify(state.step)})`);
    if (typeof state.rng !== "object" || state.rng === null) throw new this.error(`checkpoint ${where}: trainer_state.json has no generator state ("rng"); it was not written by this version of the ${this.kind} trainer`);
    this.restoreWeights(ckpt.weights);
    if (ckpt.optimizer) this.optimizer.loadState(ckpt.optimizer);
    this.step = state.step as number;
    this.rng.setState(state.rng as GeneratorState);
    this.history.splice(0, this.history.length, ...((state.history as M[]) ?? []));
    this.restoreOwnState(state);
  }

  protected event(): TrainerEvent {
    return { step: this.step, trainer: this.kind, control: this.control };
  }

  /** Frees the optimizer's state (and a subclass's own tensors). */
  dispose(): void {
    this.disposeCapturedUpdates();
    this.optimizer.dispose();
  }

}

