/**
 * The GRPO trainer (DeepSeekMath §4.1; docs/grpo-algorithm.md). One step:
 *   host work     1. draw promptsPerStep prompts; the rollout engine samples G completions of each;
 *                 2. the reward runner scores them (weighted sum, null = not applicable);
 *                 3. group advantages (scaleRewards group / batch / none);
 *                 4. old log-probs (only when numIterations > 1) and reference log-probs (only when beta > 0);
 *   update        5. numIterations optimizer steps of the clipped surrogate + beta k3 KL (`policyLoss`),
 *                    aggregated by lossType, over micro-batches whose gradients are accumulated;
 *   host work     6. metrics (every one the algorithm page lists) and new weights to the rollout engine.
 * The loop, hooks, checkpoints and resume are the Trainer base's. Sampling is seeded from the run seed
 * and the step, so a resumed run continues exactly.
 */
import type { Tokenizer } from "../../data/tokenizer.ts";
import { R1tsError } from "../../errors.ts";
import type { HostTensor } from "../../io/safetensors.ts";
import { dispose, keep, noGrad, tidy } from "../../memory.ts";
import { TransformerLM } from "../../nn/transformer-lm.ts";
import { tensor } from "../../ops/creation.ts";
import { add } from "../../ops/elementwise.ts";
import type { Generator } from "../../random/generator.ts";
import type { RewardBatch } from "../../reward/reward.ts";
import type { RewardRunner, RewardScores } from "../../reward/runner.ts";
import { LocalRolloutEngine } from "../../sampling/local-rollout-engine.ts";
import type { RolloutEngine, Rollouts } from "../../sampling/rollout-engine.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { MicroBatchLoss } from "../gradient-step.ts";
import type { LogEvent } from "../hooks/events.ts";
import { type BatchTensors, type SequenceBatch, batchTensors, packSequences } from "../sequence-batch.ts";
import { logProbsOfLogits, tokenLogProbs } from "../token-log-probs.ts";
import { Trainer, type TrainerParts } from "../trainer.ts";
import { groupAdvantages, meanAndStd } from "./advantages.ts";
import { type GrpoHooks, createGrpoHooks } from "./grpo-hooks.ts";
import { type GrpoConfig, type ResolvedGrpoConfig, resolveGrpoConfig } from "./grpo-options.ts";
import { grpoLoss, maskedMean } from "./loss.ts";

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
}

const REF_PREFIX = "ref_model.";

export class GRPOTrainer extends Trainer<Record<string, number>, GrpoHooks> {
  readonly config: ResolvedGrpoConfig;
  readonly rolloutEngine: RolloutEngine;
  /** The frozen reference policy (only when beta > 0). */
  private ref: TransformerLM | undefined;
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

    // 1. Rollouts.
    const drawn = Array.from({ length: c.promptsPerStep }, () => this.options.prompts(this.rng));
    const promptIds = drawn.map((p, i) => {
      const ids = this.options.tokenizer.encode(p.prompt);
      if (ids.length === 0) throw new GrpoError(`prompt ${i} of step ${this.step} encodes to no tokens`);
      if (ids.length + c.maxNewTokens > this.model.config.maxSeqLen) {
        throw new GrpoError(`prompt ${i} of step ${this.step} has ${ids.length} tokens; with maxNewTokens ${c.maxNewTokens} it exceeds the model's maxSeqLen ${this.model.config.maxSeqLen}`);
      }
      return ids;
    });
    const rollouts = await this.rolloutEngine.generate({
      prompts: promptIds, groupSize: c.groupSize, maxNewTokens: c.maxNewTokens, temperature: c.temperature, topP: c.topP, topK: c.topK,
      eosTokenId: this.options.eosTokenId, seed: this.rolloutSeed(this.step),
    });
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
    const metrics = this.metrics(scores, adv, rollouts, truncated, train, { rollout: (t1 - t0) / 1000, reward: (t2 - t1) / 1000, train: (t3 - t2) / 1000, total: (performance.now() - t0) / 1000 });
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

    const sums = { loss: 0, kl: 0, clipLow: 0, clipHigh: 0, clipRegion: 0, entropy: 0, gradNorm: 0 };
    try {
      for (let it = 0; it < c.numIterations; it++) {
        const result = await this.update(micro, (m) => tidy(() => this.policyLoss({ ...batchTensors(m.batch), ...m }, globalActive, micro.length, it === 0)), this.step * c.numIterations + it);
        if (it > 0) continue;
        result.microBatches.forEach((r, k) => {
          const share = micro[k].batch.activeTokens / Math.max(globalActive, 1);
          sums.loss += r.loss;
          sums.kl += r.kl * share;
          sums.clipLow += r.clipLow * share;
          sums.clipHigh += r.clipHigh * share;
          sums.clipRegion += r.clipRegion * share;
          sums.entropy += r.entropy * share;
        });
        sums.gradNorm = result.gradNorm;
      }
    } finally {
      dispose(micro.map((m) => [m.oldLogProbs, m.refLogProbs]));
    }
    return { ...sums, activeTokens: globalActive };
  }

  /**
   * The numerical part of GRPO, on tensors only: the training forward (MoE loads counted, balance loss
   * added), per-token log-probs, the clipped surrogate + k3 KL aggregated by lossType, and the metrics.
   */
  policyLoss(b: BatchTensors & Omit<GrpoMicroBatch, "batch" | "advantages"> & { advantages: Float32Array | Tensor }, globalActiveTokens: number, microBatches: number, withEntropy: boolean): MicroBatchLoss {
    const c = this.config;
    const { logits, auxLoss } = this.model.forwardWithAux(b.inputs, this.moeForward);
    const lp = logProbsOfLogits(logits, b.targets, { entropy: withEntropy });
    const advantages = b.advantages instanceof Float32Array ? tensor(b.advantages, [b.advantages.length], "f32") : b.advantages;
    const result = grpoLoss(
      { logProbs: lp.logProbs, oldLogProbs: b.oldLogProbs, refLogProbs: b.refLogProbs, advantages, mask: b.mask },
      { lossType: c.lossType, epsilonLow: c.epsilonLow, epsilonHigh: c.epsilonHigh, beta: c.beta, maxCompletionLength: c.maxNewTokens, globalActiveTokens, microBatches },
    );
    return {
      loss: auxLoss ? add(result.loss, auxLoss) : result.loss,
      metrics: { kl: result.kl, clipLow: result.clipLow, clipHigh: result.clipHigh, clipRegion: result.clipRegion, entropy: lp.entropy ? maskedMean(lp.entropy, b.mask) : undefined },
    };
  }

  private metrics(
    scores: RewardScores,
    adv: ReturnType<typeof groupAdvantages>,
    rollouts: Rollouts,
    truncated: boolean[],
    train: Awaited<ReturnType<GRPOTrainer["optimize"]>>,
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
      rolloutSeconds: seconds.rollout,
      rewardSeconds: seconds.reward,
      trainSeconds: seconds.train,
      stepSeconds: seconds.total,
    });
    if (c.beta > 0) m.kl = train.kl;
    return m;
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
