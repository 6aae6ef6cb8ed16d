/**
 * SFT of a student on teacher traces with the logit-level KL term of `distillationLoss` (teacher and
 * student share a tokenizer). Same sampling, batching, checkpoints and hooks as the SFT trainer: rows are
 * drawn with replacement by a seeded generator, `gradientAccumulation` micro-batches make one optimizer
 * step, and a checkpoint holds everything needed to continue exactly.
 */
import { valueAndGradsOf } from "../../autograd/grad.ts";
import { R1tsError } from "../../errors.ts";
import { createTrainerControl, type TrainerControl } from "../../hooks/trainer-control.ts";
import { createTrainerHooks, type TrainerHooks } from "../../hooks/trainer-hooks.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../../io/checkpoint.ts";
import { dispose, keep, noGrad, tidy } from "../../memory.ts";
import type { TransformerLM } from "../../nn/transformer-lm.ts";
import { tensor } from "../../ops/creation.ts";
import { stopGradient } from "../../ops/elementwise.ts";
import type { AdamW } from "../../optim/adamw.ts";
import type { LrSchedule } from "../../optim/schedules.ts";
import { Generator, type GeneratorState } from "../../random/generator.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { type OptimizationConfig, accumulate, applyUpdate, createOptimizer, createSchedule } from "../../train/optimization.ts";
import { type SequenceRow, packSequences } from "../../train/sequence-batch.ts";
import { type LogitKlOptions, distillationLoss } from "./logit-kl.ts";

export interface DistillationConfig extends OptimizationConfig, LogitKlOptions {
  steps: number;
  batchSize: number;
  gradientAccumulation?: number;
  seed?: number;
  padId?: number;
}

export interface DistillationStepMetrics {
  loss: number;
  ce: number;
  kl: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  stepSeconds: number;
  tokensPerSecond: number;
}

export class DistillationError extends R1tsError {}

export class DistillationTrainer {
  readonly hooks: TrainerHooks = createTrainerHooks();
  readonly control: TrainerControl = createTrainerControl();
  readonly optimizer: AdamW;
  private readonly schedule: LrSchedule;
  private readonly rng: Generator;
  step = 0;
  readonly history: DistillationStepMetrics[] = [];

  constructor(
    readonly model: TransformerLM,
    readonly teacher: TransformerLM,
    readonly rows: readonly SequenceRow[],
    readonly config: DistillationConfig,
  ) {
    const micro = config.gradientAccumulation ?? 1;
    if (!Number.isSafeInteger(config.steps) || config.steps < 0) throw new DistillationError(`distill.steps must be an integer >= 0, got ${config.steps}`);
    if (!Number.isSafeInteger(config.batchSize) || config.batchSize <= 0) throw new DistillationError(`distill.batchSize must be a positive integer, got ${config.batchSize}`);
    if (!Number.isSafeInteger(micro) || micro <= 0 || config.batchSize % micro !== 0) throw new DistillationError(`distill.gradientAccumulation must be a positive divisor of batchSize (${config.batchSize}), got ${micro}`);
    if (!(config.temperature > 0)) throw new DistillationError(`distill.temperature must be > 0, got ${config.temperature}`);
    if (!(config.klWeight >= 0)) throw new DistillationError(`distill.klWeight must be >= 0, got ${config.klWeight}`);
    if (teacher.config.vocabSize !== model.config.vocabSize) {
      throw new DistillationError(`logit distillation needs one vocabulary: the teacher has ${teacher.config.vocabSize} tokens, the student ${model.config.vocabSize}`);
    }
    if (rows.length === 0) throw new DistillationError("distill: the training set is empty");
    const maxLen = Math.min(model.config.maxSeqLen, teacher.config.maxSeqLen);
    rows.forEach((r, i) => {
      if (r.prompt.length + r.completion.length - 1 > maxLen) throw new DistillationError(`distill: row ${i} has ${r.prompt.length + r.completion.length} tokens, more than maxSeqLen ${maxLen} + 1`);
    });
    this.optimizer = createOptimizer(model, config);
    this.schedule = createSchedule(config, config.steps);
    this.rng = new Generator(config.seed ?? 0);
  }

  async train(): Promise<DistillationStepMetrics[]> {
    while (this.step < this.config.steps && !this.control.stopRequested) {
      await this.hooks.beforeStep.promise({ step: this.step, trainer: "distill", control: this.control });
      const metrics = await this.trainStep();
      const record = metrics as unknown as Record<string, number>;
      await this.hooks.afterStep.promise({ step: this.step, trainer: "distill", control: this.control, metrics: record });
      await this.hooks.onLog.promise({ step: this.step, trainer: "distill", control: this.control, metrics: record });
      this.step++;
    }
    return this.history;
  }

  async trainStep(): Promise<DistillationStepMetrics> {
    const started = performance.now();
    const { batchSize, gradientAccumulation = 1, padId = 0, maxGradNorm } = this.config;
    const picked = Array.from({ length: batchSize }, () => this.rows[this.rng.int(this.rows.length)]);
    const microSize = batchSize / gradientAccumulation;
    const micro = Array.from({ length: gradientAccumulation }, (_, i) => packSequences(picked.slice(i * microSize, (i + 1) * microSize), { padId }));
    const totalTokens = micro.reduce((n, m) => n + m.activeTokens, 0);
    const params = this.model.parameters();
    let grads: Tensor[] | undefined;
    const sums = { loss: 0, ce: 0, kl: 0 };
    for (const m of micro) {
      if (m.activeTokens === 0) continue;
      const kept: Tensor[] = [];
      const out = tidy(() => {
        const inputs = tensor(m.inputs, [m.batch, m.width], "i32");
        const targets = tensor(m.targets, [m.batch, m.width], "i32");
        const mask = tensor(m.mask, [m.batch, m.width], "f32");
        const teacherLogits = noGrad(() => this.teacher.forward(inputs));
        return valueAndGradsOf(() => {
          // Sums over this micro-batch's tokens divided by the step's: the micro-batches add up to the step's mean.
          const parts = distillationLoss(this.model.forward(inputs), teacherLogits, targets, mask, totalTokens, this.config);
          kept.push(keep(stopGradient(parts.loss)), keep(stopGradient(parts.ce)), keep(stopGradient(parts.kl)));
          return parts.loss;
        }, params);
      });
      const [loss, ce, kl] = await Promise.all(kept.map(async (t) => (await t.data())[0]));
      dispose([kept, out.value]);
      sums.loss += loss;
      sums.ce += ce;
      sums.kl += kl;
      grads = accumulate(grads, out.grads);
    }
    const lr = this.schedule(this.step);
    const gradNorm = grads ? await applyUpdate(this.optimizer, grads, lr, maxGradNorm) : Number.NaN;
    const stepSeconds = (performance.now() - started) / 1000;
    const metrics = { loss: sums.loss, ce: sums.ce, kl: sums.kl, lr, gradNorm, tokens: totalTokens, stepSeconds, tokensPerSecond: totalTokens / stepSeconds };
    this.history.push(metrics);
    return metrics;
  }

  async checkpoint(config: unknown): Promise<Checkpoint> {
    return {
      weights: await this.model.stateDict(),
      config,
      optimizer: await this.optimizer.state(),
      trainerState: { trainer: "distill", step: this.step, rng: this.rng.getState(), history: this.history },
    };
  }

  async save(dir: string, config: unknown): Promise<void> {
    const metadata: Record<string, unknown> = {};
    await this.hooks.beforeCheckpoint.promise({ step: this.step, trainer: "distill", control: this.control, dir, metadata });
    const ckpt = await this.checkpoint(config);
    ckpt.trainerState = { ...ckpt.trainerState, metadata };
    await saveCheckpoint(dir, ckpt);
  }

  async resume(dir: string): Promise<void> {
    const ckpt = await loadCheckpoint(dir);
    const state = ckpt.trainerState ?? {};
    if (state.trainer !== "distill") throw new DistillationError(`checkpoint ${dir} was not written by the distillation trainer (trainer: ${JSON.stringify(state.trainer)})`);
    this.model.loadStateDict(ckpt.weights);
    if (ckpt.optimizer) this.optimizer.loadState(ckpt.optimizer);
    this.step = state.step as number;
    this.rng.setState(state.rng as GeneratorState);
    this.history.splice(0, this.history.length, ...((state.history as DistillationStepMetrics[]) ?? []));
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
