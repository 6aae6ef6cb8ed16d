/**
 * The GRPO trainer (DeepSeekMath §4.1; docs/grpo-algorithm.md). One step:
 *   host work     1. draw promptsPerStep prompts; the rollout engine samples G completions of each;
 *                 2. the reward runner scores them (weighted sum, null = not applicable);
 *                 3. group advantages (scaleRewards group / batch / none);
 *                 4. old log-probs (only when numIterations > 1) and reference log-probs (only when beta > 0);
 *   update        5. numIterations optimizer steps of the clipped surrogate + beta k3 KL (`policyLoss`),
 *                    aggregated by lossType, over micro-batches whose gradients are accumulated;
 *   host work     6. metrics (every one the algorithm page lists) and new weights to the rollout engine.
 * The loop, hooks, checkpoints and resume are the Trainer base's. Sampling is seeded from the run seed,
 * the step, the prompt and the sample (docs/distributed.md), so a resumed run continues exactly. With
 * maxStaleness k > 0 the rollouts of steps t+1..t+k are handed out while step t trains (RolloutSchedule).
 */
import type { Tokenizer } from "../../data/tokenizer.ts";
import { R1tsError } from "../../errors.ts";
import type { HostTensor } from "../../io/safetensors.ts";
import { dispose, keep, noGrad, tidy } from "../../memory.ts";
import { TransformerLM } from "../../nn/transformer-lm.ts";
import { scalar, tensor } from "../../ops/creation.ts";
import { lengthBucket } from "../../generate/captured-decoding.ts";
import { add, stopGradient } from "../../ops/elementwise.ts";
import type { Generator } from "../../random/generator.ts";
import type { RewardBatch } from "../../reward/reward.ts";
import type { RewardRunner, RewardScores } from "../../reward/runner.ts";
import { LocalRolloutEngine } from "../../sampling/local-rollout-engine.ts";
import type { RolloutEngine, Rollouts } from "../../sampling/rollout-engine.ts";
import { type PlannedStep, RolloutSchedule, type ScheduledRollouts } from "../../sampling/rollout-schedule.ts";
import type { Checkpoint } from "../../io/checkpoint.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { MicroBatchLoss } from "../gradient-step.ts";
import type { LogEvent } from "../hooks/events.ts";
import { type BatchTensors, type SequenceBatch, batchTensors, packSequences, padBatch } from "../sequence-batch.ts";
import { logProbsOfLogits, tokenLogProbs } from "../token-log-probs.ts";
import { Trainer, type TrainerParts } from "../trainer.ts";
import { groupAdvantages, meanAndStd } from "./advantages.ts";
import { type GrpoHooks, createGrpoHooks } from "./grpo-hooks.ts";
import { type GrpoConfig, type ResolvedGrpoConfig, resolveGrpoConfig } from "./grpo-options.ts";
import { grpoLoss, maskedMean } from "./loss.ts";
import { staleImportanceWeights } from "./stale-importance.ts";

/** A prompt to roll out, with the dataset columns its rewards read (a task's Problem fits). */
export interface GrpoPrompt {
  readonly prompt: string;
  readonly columns: Readonly<Record<string, unknown>>;
  readonly question?: string;
}

export interface GrpoTrainerOptions extends TrainerParts<GrpoHooks> {
  model: TransformerLM;
  tokenizer: Pick<Tokenizer, "encode" | "decode">;
  eosTokenId: number;
  rewards: RewardRunner;
  /** Draws one training prompt with the trainer's seeded generator. */
  prompts: (rng: Generator) => GrpoPrompt;
  config: GrpoConfig;
  /** Default: a LocalRolloutEngine on `model`. */
  rolloutEngine?: RolloutEngine;
}

export interface GrpoSample {
  prompt: string;
  completion: string;
  reward: number | null;
}

/** A GRPO run that cannot go on (bad prompts, a checkpoint of another trainer). */
export class GrpoError extends R1tsError {}

/** One micro-batch of the update: packed rows, their advantages, and the frozen passes' log-probs. */
export interface GrpoMicroBatch {
  readonly batch: SequenceBatch;
  readonly advantages: Float32Array;
  oldLogProbs?: Tensor;
  refLogProbs?: Tensor;
  /** The sampler's log-probs laid out like the batch's targets [B * width] (stale rollouts, to weight them). */
  samplerLogProbs?: Float32Array;
}

const REF_PREFIX = "ref_model.";

export class GRPOTrainer extends Trainer<Record<string, number>, GrpoHooks> {
  readonly config: ResolvedGrpoConfig;
  readonly rolloutEngine: RolloutEngine;
  /** The frozen reference policy (only when beta > 0). */
  private ref: TransformerLM | undefined;
  /** Which policy version samples each step, and the steps handed out ahead (built on first use). */
  private rolloutSchedule: RolloutSchedule<GrpoPrompt[]> | undefined;
  /** The last step's sample completions. */
  lastSamples: GrpoSample[] = [];

  constructor(private readonly options: GrpoTrainerOptions) {
    const config = resolveGrpoConfig(options.config);
    super(options.model, config, options, { kind: "grpo", error: GrpoError, createHooks: createGrpoHooks, scheduleSteps: config.steps * config.numIterations });
    this.config = config;
    this.rolloutEngine = options.rolloutEngine ?? new LocalRolloutEngine(this.model, options.tokenizer);
  }

  /** Builds the reference model from the policy's current weights (when beta > 0 and none is held). */
  private async ensureReference(): Promise<void> {
    if (this.config.beta <= 0 || this.ref) return;
    this.ref = new TransformerLM(this.model.config);
    this.ref.loadStateDict(await this.model.stateDict());
  }

  /** Stale rollouts (maxStaleness > 0) are weighted by truncated importance ratios (importanceCap > 0). */
  private get correctsStaleness(): boolean {
    return this.config.maxStaleness > 0 && this.config.importanceCap > 0;
  }

  private rollouts(): RolloutSchedule<GrpoPrompt[]> {
    this.rolloutSchedule ??= new RolloutSchedule(this.rolloutEngine, this.config.maxStaleness, (step) => this.planStep(step), this.config.steps - 1);
    return this.rolloutSchedule;
  }

  /** Draws step `step`'s prompts (in step order, whatever the staleness) and its rollout request. */
  private planStep(step: number): PlannedStep<GrpoPrompt[]> {
    const c = this.config;
    const drawn = Array.from({ length: c.promptsPerStep }, () => this.options.prompts(this.rng));
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

  protected async runStep(): Promise<Record<string, number>> {
    const c = this.config;
    const t0 = performance.now();
    await this.ensureReference();
    if (this.ref && c.refResetEvery > 0 && this.step > 0 && this.step % c.refResetEvery === 0) {
      this.ref.loadStateDict(await this.model.stateDict());
    }

    // 1. Rollouts (handed out up to maxStaleness steps ahead; this step's sampled by `policyVersion`).
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
    await this.hooks.afterRollout.promise({ ...this.event(), batch, groupSize: c.groupSize, truncated });

    // 2-3. Rewards and advantages.
    const scores = await this.options.rewards.score(batch);
    await this.hooks.afterRewards.promise({ ...this.event(), batch, scores });
    const adv = groupAdvantages(scores.total, c.groupSize, c.scaleRewards);
    const t2 = performance.now();

    // 4-5. Policy update(s).
    const train = await this.optimize(this.microBatches(promptIds, rollouts, adv.advantages, truncated));
    const t3 = performance.now();
    if (this.rolloutEngine.syncWeights) await this.rolloutEngine.syncWeights(() => this.model.stateDict());

    // 6. Metrics.
    const metrics = this.metrics(scores, adv, rollouts, truncated, train, this.step - scheduled.policyVersion, { rollout: (t1 - t0) / 1000, reward: (t2 - t1) / 1000, train: (t3 - t2) / 1000, total: (performance.now() - t0) / 1000 });
    this.lastSamples = rows.slice(0, c.logSamples).map((p, i) => ({ prompt: p.question ?? p.prompt, completion: rollouts.texts[i], reward: scores.total[i] }));
    return metrics;
  }

  /** The rollouts packed into micro-batches of microBatchSize rows; truncated completions masked when asked. */
  private microBatches(promptIds: number[][], rollouts: Rollouts, advantages: Float64Array, truncated: boolean[]): GrpoMicroBatch[] {
    const c = this.config;
    const rows = rollouts.completionIds.map((completion, i) => ({ prompt: promptIds[Math.floor(i / c.groupSize)], completion }));
    const size = c.microBatchSize ?? rows.length;
    const micro: GrpoMicroBatch[] = [];
    for (let start = 0; start < rows.length; start += size) {
      const packed = packSequences(rows.slice(start, start + size), { padId: this.options.eosTokenId });
      // Captured updates pad to a bucketed width, so a run builds a few graphs rather than one per width.
      const batch = this.capturing() ? padBatch(packed, Math.min(lengthBucket(packed.width), this.model.config.maxSeqLen), this.options.eosTokenId) : packed;
      if (c.maskTruncatedCompletions) {
        for (let b = 0; b < batch.batch; b++) {
          if (!truncated[start + b]) continue;
          for (let t = 0; t < batch.width; t++) batch.mask[b * batch.width + t] = 0;
        }
        batch.activeTokens = batch.mask.reduce((a, v) => a + v, 0);
      }
      const samplerLogProbs = this.correctsStaleness && rollouts.logProbs ? samplerLayout(batch, rows.slice(start, start + size), rollouts.logProbs.slice(start, start + size)) : undefined;
      micro.push({ batch, advantages: Float32Array.from(advantages.subarray(start, start + batch.batch)), samplerLogProbs });
    }
    return micro;
  }

  /** The frozen passes (old policy when numIterations > 1, reference when beta > 0), then numIterations updates. */
  private async optimize(micro: GrpoMicroBatch[]) {
    const c = this.config;
    const globalActive = micro.reduce((a, m) => a + m.batch.activeTokens, 0);
    const frozen = (model: TransformerLM) => (m: GrpoMicroBatch) =>
      keep(noGrad(() => tidy(() => {
        const t = batchTensors(m.batch);
        return tokenLogProbs(model, t.inputs, t.targets).logProbs;
      })));
    if (c.numIterations > 1) for (const m of micro) m.oldLogProbs = frozen(this.model)(m);
    if (c.beta > 0) for (const m of micro) m.refLogProbs = frozen(this.ref!)(m);

    const sums = { loss: 0, kl: 0, clipLow: 0, clipHigh: 0, clipRegion: 0, entropy: 0, gradNorm: 0, isMean: 0, isMin: Infinity, isMax: -Infinity, isCapped: 0 };
    try {
      for (let it = 0; it < c.numIterations; it++) {
        const scheduleStep = this.step * c.numIterations + it;
        const result = this.capturing()
          ? await this.capturedUpdate(micro, globalActive, it === 0, scheduleStep)
          : await this.update(micro, (m) => tidy(() => this.policyLoss({ ...batchTensors(m.batch), ...m }, globalActive, micro.length, it === 0)), scheduleStep);
        if (it > 0) continue;
        result.microBatches.forEach((r, k) => {
          const share = micro[k].batch.activeTokens / Math.max(globalActive, 1);
          sums.loss += r.loss;
          sums.kl += r.kl * share;
          sums.clipLow += r.clipLow * share;
          sums.clipHigh += r.clipHigh * share;
          sums.clipRegion += r.clipRegion * share;
          sums.entropy += r.entropy * share;
          if (micro[k].samplerLogProbs) {
            sums.isMean += r.isMean * share;
            sums.isCapped += r.isCapped * share;
            sums.isMin = Math.min(sums.isMin, r.isMin);
            sums.isMax = Math.max(sums.isMax, r.isMax);
          }
        });
        sums.gradNorm = result.gradNorm;
      }
    } finally {
      dispose(micro.map((m) => [m.oldLogProbs, m.refLogProbs]));
    }
    return { ...sums, activeTokens: globalActive };
  }

  /** One update captured as a graph: the micro-batches (already padded to a bucketed width) and every per-step number as tensors. */
  private async capturedUpdate(micro: GrpoMicroBatch[], globalActive: number, withEntropy: boolean, scheduleStep: number) {
    // Every value that changes between steps is an input of the graph, the batch's active tokens (dapo's normaliser) included.
    // The sampler's log-probs of stale rollouts are an input too (the graph of a corrected step has one more).
    const tensors = micro.map((m) => ({
      ...batchTensors(m.batch), advantages: tensor(m.advantages, [m.advantages.length], "f32"), oldLogProbs: m.oldLogProbs, refLogProbs: m.refLogProbs, globalActive: scalar(globalActive),
      samplerLogProbs: m.samplerLogProbs ? tensor(m.samplerLogProbs, [m.batch.batch, m.batch.width], "f32") : undefined,
    }));
    const stale = micro.some((m) => m.samplerLogProbs !== undefined);
    try {
      return await this.updateTensors(`grpo|entropy=${withEntropy}|stale=${stale}`, tensors, (b) => this.policyLoss(b, b.globalActive, micro.length, withEntropy), scheduleStep);
    } finally {
      dispose(tensors.map((t) => [t.inputs, t.targets, t.mask, t.advantages, t.globalActive, t.samplerLogProbs]));
    }
  }

  /**
   * The numerical part of GRPO, on tensors only: the training forward (MoE loads counted, balance loss
   * added), per-token log-probs, the clipped surrogate + k3 KL aggregated by lossType, and the metrics.
   */
  policyLoss(b: BatchTensors & Omit<GrpoMicroBatch, "batch" | "advantages" | "samplerLogProbs"> & { advantages: Float32Array | Tensor; samplerLogProbs?: Float32Array | Tensor }, globalActiveTokens: number | Tensor, microBatches: number, withEntropy: boolean): MicroBatchLoss {
    const c = this.config;
    const { logits, auxLoss } = this.model.forwardWithAux(b.inputs, this.moeForward);
    const lp = logProbsOfLogits(logits, b.targets, { entropy: withEntropy });
    const advantages = b.advantages instanceof Float32Array ? tensor(b.advantages, [b.advantages.length], "f32") : b.advantages;
    const sampler = b.samplerLogProbs instanceof Float32Array ? tensor(b.samplerLogProbs, lp.logProbs.shape, "f32") : b.samplerLogProbs;
    const stale = sampler ? staleImportanceWeights(b.oldLogProbs ?? stopGradient(lp.logProbs), sampler, b.mask, c.importanceCap) : undefined;
    const result = grpoLoss(
      { logProbs: lp.logProbs, oldLogProbs: b.oldLogProbs, refLogProbs: b.refLogProbs, advantages, mask: b.mask, importanceWeights: stale?.weights },
      { lossType: c.lossType, epsilonLow: c.epsilonLow, epsilonHigh: c.epsilonHigh, beta: c.beta, maxCompletionLength: c.maxNewTokens, globalActiveTokens, microBatches },
    );
    return {
      loss: auxLoss ? add(result.loss, auxLoss) : result.loss,
      metrics: {
        kl: result.kl, clipLow: result.clipLow, clipHigh: result.clipHigh, clipRegion: result.clipRegion, entropy: lp.entropy ? maskedMean(lp.entropy, b.mask) : undefined,
        isMean: stale?.ratioMean, isMin: stale?.ratioMin, isMax: stale?.ratioMax, isCapped: stale?.cappedFraction,
      },
    };
  }

  private metrics(
    scores: RewardScores,
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
    if (this.correctsStaleness && Number.isFinite(train.isMin)) {
      // The truncated importance weights of stale rollouts (stale-importance.ts): the uncapped ratio pi_old / pi_sampler.
      m["importanceRatio/mean"] = train.isMean;
      m["importanceRatio/min"] = train.isMin;
      m["importanceRatio/max"] = train.isMax;
      m["importanceRatio/cappedFraction"] = train.isCapped;
    }
    return m;
  }

  /** Also the steps already handed out (maxStaleness > 0): drawn, and sampled by versions older than these weights. */
  override async checkpoint(config?: unknown): Promise<Checkpoint> {
    const ckpt = await super.checkpoint(config);
    if (this.rolloutSchedule && this.config.maxStaleness > 0) ckpt.trainerState = { ...ckpt.trainerState, rolloutsInFlight: await this.rolloutSchedule.drain() };
    return ckpt;
  }

  protected override restoreOwnState(state: Record<string, unknown>): void {
    this.rolloutSchedule = undefined;
    const inFlight = (state.rolloutsInFlight as ScheduledRollouts<GrpoPrompt[]>[] | undefined) ?? [];
    if (inFlight.length > 0) this.rollouts().restore(inFlight);
  }

  protected override logSamples(): LogEvent["samples"] {
    return this.lastSamples;
  }

  /** The reference model's weights, under `ref_model.`. */
  protected override async extraWeights(): Promise<Record<string, HostTensor>> {
    if (!this.ref) return {};
    return Object.fromEntries(Object.entries(await this.ref.stateDict()).map(([name, t]) => [REF_PREFIX + name, t]));
  }

  protected override restoreWeights(weights: Record<string, HostTensor>): void {
    const { policy, ref } = splitReference(weights);
    this.model.loadStateDict(policy);
    if (Object.keys(ref).length > 0) {
      this.ref?.dispose();
      this.ref = new TransformerLM(this.model.config);
      this.ref.loadStateDict(ref);
    }
  }

  override dispose(): void {
    super.dispose();
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

/**
 * Each row's sampler log-probs at its completion tokens' target positions in a packed batch (row b's
 * completion token j is the target at prompt length - 1 + j); 0 elsewhere (masked out).
 */
function samplerLayout(batch: SequenceBatch, rows: readonly { prompt: readonly number[]; completion: readonly number[] }[], logProbs: readonly (readonly number[])[]): Float32Array {
  const out = new Float32Array(batch.batch * batch.width);
  rows.forEach((row, b) => {
    const lp = logProbs[b];
    for (let j = 0; j < row.completion.length; j++) out[b * batch.width + row.prompt.length - 1 + j] = lp[j] ?? 0;
  });
  return out;
}
