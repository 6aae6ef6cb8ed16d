/**
 * Supervised fine-tuning: next-token cross-entropy on completion tokens only (the prompt is masked;
 * `includePrompt` also trains on the prompt, which is plain language-model pre-training). Rows are drawn
 * with replacement by a seeded generator, right-padded into micro-batches, and `gradientAccumulation`
 * micro-batches make one optimizer step; the loss is the mean over every active token of the step.
 */
import { createTrainerControl, type TrainerControl } from "../../hooks/trainer-control.ts";
import { createTrainerHooks, type TrainerHooks } from "../../hooks/trainer-hooks.ts";
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from "../../io/checkpoint.ts";
import { tidy } from "../../memory.ts";
import { mul } from "../../ops/elementwise.ts";
import { tensor } from "../../ops/creation.ts";
import { valueAndGradsOf } from "../../autograd/grad.ts";
import type { TransformerLM } from "../../nn/transformer-lm.ts";
import type { AdamW } from "../../optim/adamw.ts";
import type { LrSchedule } from "../../optim/schedules.ts";
import { Generator, type GeneratorState } from "../../random/generator.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { R1tsError } from "../../errors.ts";
import { type OptimizationConfig, accumulate, applyUpdate, createOptimizer, createSchedule } from "../optimization.ts";
import { type SequenceRow, packSequences } from "../sequence-batch.ts";

export interface SftConfig extends OptimizationConfig {
  steps: number;
  /** Rows per optimizer step. */
  batchSize: number;
  /** Micro-batches per step (must divide batchSize; default 1). */
  gradientAccumulation?: number;
  /** Also learn the prompt tokens (pre-training); default false (completion only). */
  includePrompt?: boolean;
  seed?: number;
  /** Evaluate the held-out loss every this many steps (0: only at the end when eval rows are given). */
  evalEvery?: number;
  logEvery?: number;
  padId?: number;
}

export interface SftStepMetrics {
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  stepSeconds: number;
  tokensPerSecond: number;
}

/** A bad SFT config or data. */
export class SftError extends R1tsError {}

export class SFTTrainer {
  readonly hooks: TrainerHooks;
  readonly control: TrainerControl = createTrainerControl();
  readonly optimizer: AdamW;
  private readonly schedule: LrSchedule;
  private readonly rng: Generator;
  /** Optimizer steps taken so far. */
  step = 0;
  readonly history: SftStepMetrics[] = [];

  constructor(
    readonly model: TransformerLM,
    readonly rows: readonly SequenceRow[],
    readonly config: SftConfig,
    readonly evalRows: readonly SequenceRow[] = [],
    /** Hooks to fire (e.g. a run context's, tapped by plugins); default: fresh ones. */
    hooks?: TrainerHooks,
  ) {
    this.hooks = hooks ?? createTrainerHooks();
    const micro = config.gradientAccumulation ?? 1;
    if (!Number.isSafeInteger(config.steps) || config.steps < 0) throw new SftError(`sft.steps must be an integer >= 0, got ${config.steps}`);
    if (!Number.isSafeInteger(config.batchSize) || config.batchSize <= 0) throw new SftError(`sft.batchSize must be a positive integer, got ${config.batchSize}`);
    if (!Number.isSafeInteger(micro) || micro <= 0 || config.batchSize % micro !== 0) {
      throw new SftError(`sft.gradientAccumulation must be a positive divisor of batchSize (${config.batchSize}), got ${micro}`);
    }
    if (rows.length === 0) throw new SftError("sft: the training set is empty");
    const maxLen = model.config.maxSeqLen;
    rows.forEach((r, i) => {
      if (r.prompt.length + r.completion.length - 1 > maxLen) throw new SftError(`sft: row ${i} has ${r.prompt.length + r.completion.length} tokens, more than the model's maxSeqLen ${maxLen} + 1`);
    });
    this.optimizer = createOptimizer(model, config);
    this.schedule = createSchedule(config, config.steps);
    this.rng = new Generator(config.seed ?? 0);
  }

  /** Runs steps until config.steps (or a stop request). */
  async train(): Promise<SftStepMetrics[]> {
    const { steps, evalEvery = 0 } = this.config;
    const logEvery = this.config.logEvery ?? 0;
    while (this.step < steps && !this.control.stopRequested) {
      await this.hooks.beforeStep.promise({ step: this.step, trainer: "sft", control: this.control });
      const metrics = await this.trainStep();
      const record = metrics as unknown as Record<string, number>;
      await this.hooks.afterStep.promise({ step: this.step, trainer: "sft", control: this.control, metrics: record });
      if (logEvery > 0 && (this.step % logEvery === 0 || this.step === steps - 1)) {
        await this.hooks.onLog.promise({ step: this.step, trainer: "sft", control: this.control, metrics: record });
      }
      this.step++;
      if (this.evalRows.length > 0 && evalEvery > 0 && this.step % evalEvery === 0) {
        const loss = await this.evalLoss();
        await this.hooks.onEval.promise({ step: this.step - 1, trainer: "sft", control: this.control, metrics: { "eval/loss": loss } });
      }
    }
    return this.history;
  }

  /** One optimizer step over batchSize rows drawn with replacement. */
  async trainStep(): Promise<SftStepMetrics> {
    const started = performance.now();
    const { batchSize, gradientAccumulation = 1, includePrompt = false, padId = 0, maxGradNorm } = this.config;
    const picked = Array.from({ length: batchSize }, () => this.rows[this.rng.int(this.rows.length)]);
    const microSize = batchSize / gradientAccumulation;
    const micro = Array.from({ length: gradientAccumulation }, (_, i) => packSequences(picked.slice(i * microSize, (i + 1) * microSize), { padId, includePrompt }));
    const totalTokens = micro.reduce((n, m) => n + m.activeTokens, 0);
    const params = this.model.parameters();
    let grads: Tensor[] | undefined;
    let lossSum = 0;
    for (const m of micro) {
      if (m.activeTokens === 0) continue;
      const out = tidy(() => {
        const inputs = tensor(m.inputs, [m.batch, m.width], "i32");
        const targets = tensor(m.targets, [m.batch, m.width], "i32");
        const mask = tensor(m.mask, [m.batch, m.width], "f32");
        // The model's masked mean, weighted by this micro-batch's share of the step's active tokens.
        return valueAndGradsOf(() => mul(this.model.loss(inputs, targets, mask), m.activeTokens / totalTokens), params);
      });
      lossSum += (await out.value.data())[0];
      out.value.dispose();
      grads = accumulate(grads, out.grads);
    }
    const lr = this.schedule(this.step);
    const gradNorm = grads ? await applyUpdate(this.optimizer, grads, lr, maxGradNorm) : Number.NaN;
    const stepSeconds = (performance.now() - started) / 1000;
    const metrics = { loss: lossSum, lr, gradNorm, tokens: totalTokens, stepSeconds, tokensPerSecond: totalTokens / stepSeconds };
    this.history.push(metrics);
    return metrics;
  }

  /** Mean completion-token cross-entropy over the eval rows (or `rows`), in batches of batchSize. */
  async evalLoss(rows: readonly SequenceRow[] = this.evalRows): Promise<number> {
    const { batchSize, includePrompt = false, padId = 0 } = this.config;
    let total = 0;
    let tokens = 0;
    for (let i = 0; i < rows.length; i += batchSize) {
      const m = packSequences(rows.slice(i, i + batchSize), { padId, includePrompt });
      if (m.activeTokens === 0) continue;
      const loss = tidy(() =>
        this.model.loss(tensor(m.inputs, [m.batch, m.width], "i32"), tensor(m.targets, [m.batch, m.width], "i32"), tensor(m.mask, [m.batch, m.width], "f32")),
      );
      total += (await loss.data())[0] * m.activeTokens;
      tokens += m.activeTokens;
      loss.dispose();
    }
    return tokens === 0 ? Number.NaN : total / tokens;
  }

  /** Everything needed to continue exactly: weights, optimizer moments, step, generator state. */
  async checkpoint(config: unknown): Promise<Checkpoint> {
    return {
      weights: await this.model.stateDict(),
      config,
      optimizer: await this.optimizer.state(),
      trainerState: { trainer: "sft", step: this.step, rng: this.rng.getState(), history: this.history },
    };
  }

  async save(dir: string, config: unknown): Promise<void> {
    const metadata: Record<string, unknown> = {};
    await this.hooks.beforeCheckpoint.promise({ step: this.step, trainer: "sft", control: this.control, dir, metadata });
    const ckpt = await this.checkpoint(config);
    ckpt.trainerState = { ...ckpt.trainerState, metadata };
    await saveCheckpoint(dir, ckpt);
  }

  /** Restores a checkpoint written by `save`; training then continues as if never stopped. */
  async resume(dir: string): Promise<void> {
    const ckpt = await loadCheckpoint(dir);
    const state = ckpt.trainerState ?? {};
    if (state.trainer !== "sft") throw new SftError(`checkpoint ${dir} was not written by the SFT trainer (trainer: ${JSON.stringify(state.trainer)})`);
    this.model.loadStateDict(ckpt.weights);
    if (ckpt.optimizer) this.optimizer.loadState(ckpt.optimizer);
    this.step = state.step as number;
    this.rng.setState(state.rng as GeneratorState);
    this.history.splice(0, this.history.length, ...((state.history as SftStepMetrics[]) ?? []));
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
