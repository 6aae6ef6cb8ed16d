/**
 * The GRPO trainer (DeepSeekMath §4.1, REFERENCE §1). One step:
 *   1. draw promptsPerStep prompts; the rollout engine samples G completions of each;
 *   2. the reward runner scores them (weighted sum, null = not applicable);
 *   3. group advantages (scaleRewards group / batch / none);
 *   4. old log-probs (only when numIterations > 1) and reference log-probs (only when beta > 0);
 *   5. numIterations optimizer steps of the clipped surrogate + beta k3 KL, aggregated by lossType,
 *      with the rollout batch split into micro-batches whose gradients are accumulated;
 *   6. metrics (every one REFERENCE §1 lists), hooks, and new weights to the rollout engine.
 * Sampling is seeded from the run seed and the step, so a resumed run continues exactly.
 */
import { valueAndGradsOf } from "../../autograd/grad.ts";
import { R1tsError } from "../../errors.ts";
import { createTrainerControl, type TrainerControl } from "../../hooks/trainer-control.ts";
import { createTrainerHooks, type TrainerHooks } from "../../hooks/trainer-hooks.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../../io/checkpoint.ts";
import type { HostTensor } from "../../io/safetensors.ts";
import { dispose, keep, noGrad, tidy } from "../../memory.ts";
import { TransformerLM } from "../../nn/transformer-lm.ts";
import { tensor } from "../../ops/creation.ts";
import { stopGradient } from "../../ops/elementwise.ts";
import type { AdamW } from "../../optim/adamw.ts";
import type { LrSchedule } from "../../optim/schedules.ts";
import { Generator, type GeneratorState } from "../../random/generator.ts";
import type { RewardBatch } from "../../reward/reward.ts";
import type { RewardRunner } from "../../reward/runner.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { Tokenizer } from "../evaluate.ts";
import { accumulate, applyUpdate, createOptimizer, createSchedule } from "../optimization.ts";
import { LocalRolloutEngine } from "../rollout/local-rollout-engine.ts";
import type { RolloutEngine, Rollouts } from "../rollout/rollout-engine.ts";
import { type PlannedStep, RolloutSchedule, type ScheduledRollouts } from "../rollout/rollout-schedule.ts";
import { type SequenceBatch, packSequences } from "../sequence-batch.ts";
import { tokenLogProbs } from "../token-log-probs.ts";
import { groupAdvantages, meanAndStd } from "./advantages.ts";
import { type GrpoConfig, type ResolvedGrpoConfig, resolveGrpoConfig } from "./grpo-config.ts";
import { grpoLoss, maskedMean } from "./loss.ts";

/** A prompt to roll out, with the dataset columns its rewards read (a task's Problem fits). */
export interface GrpoPrompt {
  readonly prompt: string;
  readonly columns: Readonly<Record<string, unknown>>;
  readonly question?: string;
}

export interface GrpoTrainerOptions {
  model: TransformerLM;
  tokenizer: Tokenizer;
  eosTokenId: number;
  rewards: RewardRunner;
  /** Draws one training prompt with the trainer's seeded generator. */
  prompts: (rng: Generator) => GrpoPrompt;
  config: GrpoConfig;
  /** Default: a LocalRolloutEngine on `model`. */
  rolloutEngine?: RolloutEngine;
  /** Hooks to fire (e.g. a run context's, tapped by plugins); default: fresh ones. */
  hooks?: TrainerHooks;
}

export interface GrpoSample {
  prompt: string;
  completion: string;
  reward: number | null;
}

/** A GRPO run that cannot go on (bad prompts, a checkpoint of another trainer). */
export class GrpoError extends R1tsError {}

const REF_PREFIX = "ref_model.";

export class GRPOTrainer {
  readonly hooks: TrainerHooks;
  readonly control: TrainerControl = createTrainerControl();
  readonly config: ResolvedGrpoConfig;
  readonly model: TransformerLM;
  readonly optimizer: AdamW;
  readonly rolloutEngine: RolloutEngine;
  /** The frozen reference policy (only when beta > 0). */
  private ref: TransformerLM | undefined;
  private readonly schedule: LrSchedule;
  private readonly promptRng: Generator;
  private rolloutSchedule: RolloutSchedule<GrpoPrompt[]> | undefined;
  step = 0;
  readonly history: Record<string, number>[] = [];
  /** The last step's sample completions. */
  lastSamples: GrpoSample[] = [];

  constructor(private readonly options: GrpoTrainerOptions) {
    this.config = resolveGrpoConfig(options.config);
    this.hooks = options.hooks ?? createTrainerHooks();
    this.model = options.model;
    this.optimizer = createOptimizer(this.model, this.config);
    this.schedule = createSchedule(this.config, this.config.steps * this.config.numIterations);
    this.promptRng = new Generator(this.config.seed);
    this.rolloutEngine = options.rolloutEngine ?? new LocalRolloutEngine(this.model, options.tokenizer);
  }

  /** Builds the reference model from the policy's current weights (when beta > 0 and none is held). */
  private async ensureReference(): Promise<void> {
    if (this.config.beta <= 0 || this.ref) return;
    this.ref = new TransformerLM(this.model.config);
    this.ref.loadStateDict(await this.model.stateDict());
  }

  async train(): Promise<Record<string, number>[]> {
    while (this.step < this.config.steps && !this.control.stopRequested) {
      await this.hooks.beforeStep.promise({ step: this.step, trainer: "grpo", control: this.control });
      const metrics = await this.trainStep();
      await this.hooks.afterStep.promise({ step: this.step, trainer: "grpo", control: this.control, metrics });
      await this.hooks.onLog.promise({ step: this.step, trainer: "grpo", control: this.control, metrics, samples: this.lastSamples });
      this.step++;
    }
    return this.history;
  }

  /** The rollout schedule (built on first use, so a resumed trainer can put back its steps in flight first). */
  private rollouts(): RolloutSchedule<GrpoPrompt[]> {
    this.rolloutSchedule ??= new RolloutSchedule(this.rolloutEngine, this.config.maxStaleness, (step) => this.planStep(step), this.config.steps - 1);
    return this.rolloutSchedule;
  }

  /** Draws step `step`'s prompts (in step order, whatever the staleness) and its rollout request. */
  private planStep(step: number): PlannedStep<GrpoPrompt[]> {
    const c = this.config;
    const drawn = Array.from({ length: c.promptsPerStep }, () => this.options.prompts(this.promptRng));
    const prompts = drawn.map((p, i) => {
      const ids = this.options.tokenizer.encode(p.prompt);
      if (ids.length === 0) throw new GrpoError(`prompt ${i} of step ${step} encodes to no tokens`);
      if (ids.length + c.maxNewTokens > this.model.config.maxSeqLen) {
        throw new GrpoError(`prompt ${i} of step ${step} has ${ids.length} tokens; with maxNewTokens ${c.maxNewTokens} it exceeds the model's maxSeqLen ${this.model.config.maxSeqLen}`);
      }
      return ids;
    });
    return {
      plan: drawn,
      request: { prompts, groupSize: c.groupSize, maxNewTokens: c.maxNewTokens, temperature: c.temperature, topP: c.topP, topK: c.topK, eosTokenId: this.options.eosTokenId, seed: this.rolloutSeed(step), step },
    };
  }

  /** The sampling seed of a step: a hash of the run seed and the step. */
  private rolloutSeed(step: number): number {
    return (Math.imul(this.config.seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0;
  }

  async trainStep(): Promise<Record<string, number>> {
    const c = this.config;
    const t0 = performance.now();
    await this.ensureReference();
    if (this.ref && c.refResetEvery > 0 && this.step > 0 && this.step % c.refResetEvery === 0) {
      this.ref.loadStateDict(await this.model.stateDict());
    }

    // 1. Rollouts (handed out up to maxStaleness steps ahead; this step's sampled by policyVersion).
    const scheduled = await this.rollouts().next(this.step, this.step);
    const { rollouts } = scheduled;
    const drawn = scheduled.plan;
    const promptIds = scheduled.request.prompts as number[][];
    const t1 = performance.now();
    const rows = drawn.flatMap((p) => Array.from({ length: c.groupSize }, () => p));
    const columns: Record<string, unknown[]> = {};
    for (const key of new Set(drawn.flatMap((p) => Object.keys(p.columns)))) columns[key] = rows.map((p) => p.columns[key]);
    const batch: RewardBatch = { prompts: rows.map((p) => p.prompt), completions: rollouts.texts, completionIds: rollouts.completionIds, columns };
    const truncated = rollouts.finishReasons.map((r) => r === "length");
    const event = { step: this.step, trainer: "grpo", control: this.control };
    await this.hooks.afterRollout.promise({ ...event, batch, groupSize: c.groupSize, truncated });

    // 2-3. Rewards and advantages.
    const scores = await this.options.rewards.score(batch);
    await this.hooks.afterRewards.promise({ ...event, batch, scores });
    const adv = groupAdvantages(scores.total, c.groupSize, c.scaleRewards);
    const t2 = performance.now();

    // 4-5. Policy update(s).
    const train = await this.optimize(promptIds, rollouts, adv.advantages, truncated);
    const t3 = performance.now();
    if (this.rolloutEngine.syncWeights) await this.rolloutEngine.syncWeights(() => this.model.stateDict());

    // 6. Metrics.
    const metrics = this.metrics(scores, adv, rollouts, truncated, train, this.step - scheduled.policyVersion, { rollout: (t1 - t0) / 1000, reward: (t2 - t1) / 1000, train: (t3 - t2) / 1000, total: (performance.now() - t0) / 1000 });
    this.lastSamples = rows.slice(0, c.logSamples).map((p, i) => ({ prompt: p.question ?? p.prompt, completion: rollouts.texts[i], reward: scores.total[i] }));
    this.history.push(metrics);
    return metrics;
  }

  /** numIterations optimizer steps over the rollouts; returns the token-weighted loss metrics. */
  private async optimize(promptIds: number[][], rollouts: Rollouts, advantages: Float64Array, truncated: boolean[]) {
    const c = this.config;
    const rows = rollouts.completionIds.map((completion, i) => ({ prompt: promptIds[Math.floor(i / c.groupSize)], completion }));
    const size = c.microBatchSize ?? rows.length;
    const micro: { batch: SequenceBatch; advantages: Float32Array }[] = [];
    for (let start = 0; start < rows.length; start += size) {
      const batch = packSequences(rows.slice(start, start + size), { padId: this.options.eosTokenId });
      if (c.maskTruncatedCompletions) {
        for (let b = 0; b < batch.batch; b++) {
          if (!truncated[start + b]) continue;
          for (let t = 0; t < batch.width; t++) batch.mask[b * batch.width + t] = 0;
        }
        batch.activeTokens = batch.mask.reduce((a, v) => a + v, 0);
      }
      micro.push({ batch, advantages: Float32Array.from(advantages.subarray(start, start + batch.batch)) });
    }
    const globalActive = micro.reduce((a, m) => a + m.batch.activeTokens, 0);
    const tensorsOf = (m: SequenceBatch) => ({
      inputs: tensor(m.inputs, [m.batch, m.width], "i32"),
      targets: tensor(m.targets, [m.batch, m.width], "i32"),
      mask: tensor(m.mask, [m.batch, m.width], "f32"),
    });
    const frozen = (model: TransformerLM | undefined): (Tensor | undefined)[] =>
      micro.map(({ batch }) => (model ? keep(noGrad(() => tidy(() => { const t = tensorsOf(batch); return tokenLogProbs(model, t.inputs, t.targets).logProbs; }))) : undefined));
    const oldLogProbs = c.numIterations > 1 ? frozen(this.model) : micro.map(() => undefined);
    const refLogProbs = c.beta > 0 ? frozen(this.ref) : micro.map(() => undefined);

    const sums = { loss: 0, kl: 0, clipLow: 0, clipHigh: 0, clipRegion: 0, entropy: 0, gradNorm: 0 };
    const params = this.model.parameters();
    for (let it = 0; it < c.numIterations; it++) {
      let grads: Tensor[] | undefined;
      for (let k = 0; k < micro.length; k++) {
        const { batch, advantages: a } = micro[k];
        const kept: Tensor[] = [];
        const out = tidy(() => {
          const t = tensorsOf(batch);
          return valueAndGradsOf(() => {
            const lp = tokenLogProbs(this.model, t.inputs, t.targets, { entropy: it === 0 });
            const result = grpoLoss(
              { logProbs: lp.logProbs, oldLogProbs: oldLogProbs[k], refLogProbs: refLogProbs[k], advantages: tensor(a, [batch.batch], "f32"), mask: t.mask },
              { lossType: c.lossType, epsilonLow: c.epsilonLow, epsilonHigh: c.epsilonHigh, beta: c.beta, maxCompletionLength: c.maxNewTokens, globalActiveTokens: globalActive, microBatches: micro.length },
            );
            const entropy = lp.entropy ? maskedMean(lp.entropy, t.mask) : undefined;
            for (const m of [stopGradient(result.loss), result.kl, result.clipLow, result.clipHigh, result.clipRegion, entropy]) kept.push(keep(m ?? tensor([Number.NaN])));
            return result.loss;
          }, params);
        });
        const [loss, kl, low, high, region, entropy] = await Promise.all(kept.map(async (m) => (await m.data())[0]));
        dispose([kept, out.value]);
        grads = accumulate(grads, out.grads);
        if (it === 0) {
          const share = batch.activeTokens / Math.max(globalActive, 1);
          sums.loss += loss;
          sums.kl += kl * share;
          sums.clipLow += low * share;
          sums.clipHigh += high * share;
          sums.clipRegion += region * share;
          sums.entropy += entropy * share;
        }
      }
      const norm = await applyUpdate(this.optimizer, grads!, this.schedule(this.step * c.numIterations + it), c.maxGradNorm);
      if (it === 0) sums.gradNorm = norm;
    }
    dispose([oldLogProbs, refLogProbs]);
    return { ...sums, activeTokens: globalActive };
  }

  private metrics(
    scores: Awaited<ReturnType<RewardRunner["score"]>>,
    adv: ReturnType<typeof groupAdvantages>,
    rollouts: Rollouts,
    truncated: boolean[],
    train: Awaited<ReturnType<GRPOTrainer["optimize"]>>,
    policyLag: number,
    seconds: { rollout: number; reward: number; train: number; total: number },
  ): Record<string, number> {
    const c = this.config;
    const valid = scores.total.filter((v): v is number => v !== null && !Number.isNaN(v));
    const lengths = rollouts.completionIds.map((ids) => ids.length);
    const groupStds = Array.from(adv.groupStd).filter((s) => !Number.isNaN(s));
    const m: Record<string, number> = {
      step: this.step,
      reward: meanAndStd(valid).mean,
      rewardStd: groupStds.length ? groupStds.reduce((a, b) => a + b, 0) / groupStds.length : Number.NaN,
      fracRewardZeroStd: adv.fracRewardZeroStd,
    };
    for (const name of scores.names) {
      const values = scores.perReward[name].filter((v): v is number => v !== null && !Number.isNaN(v));
      const { mean, std } = meanAndStd(values);
      m[`rewards/${name}/mean`] = mean;
      m[`rewards/${name}/std`] = std;
    }
    Object.assign(m, {
      completionLengthMean: lengths.reduce((a, b) => a + b, 0) / lengths.length,
      completionLengthMin: Math.min(...lengths),
      completionLengthMax: Math.max(...lengths),
      clippedRatio: truncated.filter(Boolean).length / truncated.length,
      loss: train.loss,
      entropy: train.entropy,
      clipRatioLow: train.clipLow,
      clipRatioHigh: train.clipHigh,
      clipRatioRegion: train.clipRegion,
      gradNorm: train.gradNorm,
      lr: this.schedule(this.step * c.numIterations),
      tokens: train.activeTokens,
      policyLag,
      rolloutSeconds: seconds.rollout,
      rewardSeconds: seconds.reward,
      trainSeconds: seconds.train,
      stepSeconds: seconds.total,
    });
    if (c.beta > 0) m.kl = train.kl;
    return m;
  }

  /** Everything to continue exactly: policy (and reference) weights, optimizer, step, prompt generator. */
  async checkpoint(config: unknown): Promise<Checkpoint> {
    const weights: Record<string, HostTensor> = await this.model.stateDict();
    if (this.ref) for (const [name, t] of Object.entries(await this.ref.stateDict())) weights[REF_PREFIX + name] = t;
    return {
      weights,
      config,
      optimizer: await this.optimizer.state(),
      trainerState: {
        trainer: "grpo", step: this.step, promptRng: this.promptRng.getState(), history: this.history,
        // Steps already handed out (maxStaleness > 0): their prompts were drawn and their policy versions are older than these weights.
        ...(this.rolloutSchedule && this.config.maxStaleness > 0 ? { rolloutsInFlight: await this.rolloutSchedule.drain() } : {}),
      },
    };
  }

  async save(dir: string, config: unknown): Promise<void> {
    const metadata: Record<string, unknown> = {};
    await this.hooks.beforeCheckpoint.promise({ step: this.step, trainer: "grpo", control: this.control, dir, metadata });
    const ckpt = await this.checkpoint(config);
    ckpt.trainerState = { ...ckpt.trainerState, metadata };
    await saveCheckpoint(dir, ckpt);
  }

  /** Restores a checkpoint written by `save`. */
  async resume(dir: string): Promise<void> {
    const ckpt = await loadCheckpoint(dir);
    const state = ckpt.trainerState ?? {};
    if (state.trainer !== "grpo") throw new GrpoError(`checkpoint ${dir} was not written by the GRPO trainer (trainer: ${JSON.stringify(state.trainer)})`);
    const { policy, ref } = splitReference(ckpt.weights);
    this.model.loadStateDict(policy);
    if (ckpt.optimizer) this.optimizer.loadState(ckpt.optimizer);
    if (Object.keys(ref).length > 0) {
      this.ref?.dispose();
      this.ref = new TransformerLM(this.model.config);
      this.ref.loadStateDict(ref);
    }
    this.step = state.step as number;
    this.promptRng.setState(state.promptRng as GeneratorState);
    this.rolloutSchedule = undefined;
    const inFlight = (state.rolloutsInFlight as ScheduledRollouts<GrpoPrompt[]>[] | undefined) ?? [];
    if (inFlight.length > 0) this.rollouts().restore(inFlight);
    this.history.splice(0, this.history.length, ...((state.history as Record<string, number>[]) ?? []));
  }

  dispose(): void {
    this.optimizer.dispose();
    this.ref?.dispose();
    this.ref = undefined;
    this.rolloutEngine.dispose?.();
  }
}

/** Policy weights and the reference model's (saved under `ref_model.`) of a GRPO checkpoint. */
export function splitReference(weights: Record<string, HostTensor>): { policy: Record<string, HostTensor>; ref: Record<string, HostTensor> } {
  const policy: Record<string, HostTensor> = {};
  const ref: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(weights)) {
    if (name.startsWith(REF_PREFIX)) ref[name.slice(REF_PREFIX.length)] = t;
    else policy[name] = t;
  }
  return { policy, ref };
}
