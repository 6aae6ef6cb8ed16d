/**
 * The GRPO trainer (DeepSeekMath §4.1; docs/grpo-algorithm.md), with the variants of docs/grpo.md as
 * options whose defaults are plain GRPO. One step:
 *   host work     1. the reference syncs toward the policy every refSyncSteps;
 *                 2. rollouts: promptsPerStep prompts, G completions each, scored by the reward runner;
 *                    with dynamic sampling, groups whose rewards all agree are dropped and more are
 *                    sampled (at most maxSamplingRounds rounds);
 *                 3. frozen passes at the rollout weights (no gradient), each only when an option needs it:
 *                    old log-probs (numIterations > 1, rollout correction, KL in the reward), reference
 *                    log-probs (beta > 0), entropies (topEntropyQuantile < 1); then the rollout-correction
 *                    weights, the entropy mask and the advantages (advantageEstimator, rewardAggregation);
 *   update        4. numIterations optimizer steps of `policyLoss` over micro-batches (gradients accumulated);
 *   host work     5. metrics under TRL's names, and the new weights to the rollout engine.
 * Log-probs are taken at the sampling temperature, over completion positions only. With LoRA the
 * adapters are trained on a frozen base and the rollouts use the adapted model. The loop, hooks,
 * checkpoints and resume are the Trainer base's; sampling is seeded from the run seed, the step and
 * the sampling round (and per row from the prompt and the sample: docs/distributed.md), so a resumed
 * run continues exactly. With maxStaleness k > 0 the rollouts of steps t+1..t+k are handed out while
 * step t trains (RolloutSchedule), and corrected by the same truncated importance weights.
 */
import type { Tokenizer } from "../../data/tokenizer.ts";
import { R1tsError } from "../../errors.ts";
import type { HostTensor } from "../../io/safetensors.ts";
import { applyLora, type LoraModel } from "../../lora/lora-model.ts";
import { PEFT_PREFIX, saveLoraAdapter } from "../../lora/peft-adapter-io.ts";
import { dispose, keep, noGrad, tidy } from "../../memory.ts";
import { TransformerLM } from "../../nn/transformer-lm.ts";
import { lengthBucket } from "../../generate/captured-decoding.ts";
import { scalar, tensor } from "../../ops/creation.ts";
import { add, mul, stopGradient } from "../../ops/elementwise.ts";
import type { Generator } from "../../random/generator.ts";
import type { RewardBatch } from "../../reward/reward.ts";
import type { RewardRunner } from "../../reward/runner.ts";
import { LocalRolloutEngine } from "../../sampling/local-rollout-engine.ts";
import type { RolloutEngine, Rollouts } from "../../sampling/rollout-engine.ts";
import { type PlannedStep, RolloutSchedule, type ScheduledRollouts } from "../../sampling/rollout-schedule.ts";
import type { Checkpoint } from "../../io/checkpoint.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { completionLogProbs, type CompletionTensors } from "../completion-log-probs.ts";
import type { MicroBatchLoss } from "../gradient-step.ts";
import type { LogEvent } from "../hooks/events.ts";
import { Trainer, type TrainerParts } from "../trainer.ts";
import { estimateAdvantages } from "./advantage-estimators.ts";
import { highEntropyMask } from "./entropy-mask.ts";
import { type GrpoMicroBatch, completionTensors, layoutTokens, packMicroBatches, rowsOfTokens } from "./grpo-batch.ts";
import { type GrpoHooks, createGrpoHooks } from "./grpo-hooks.ts";
import { type UpdateSums, grpoStepMetrics } from "./grpo-metrics.ts";
import { type GrpoConfig, type ResolvedGrpoConfig, resolveGrpoConfig } from "./grpo-options.ts";
import { sampleInformativeGroups } from "./dynamic-sampling.ts";
import { klEstimate } from "./kl-estimators.ts";
import { grpoLoss, maskedMean } from "./loss.ts";
import { isReferenceSyncStep, mixReference } from "./reference-sync.ts";
import { type RolloutCorrection, rolloutCorrectionWeights } from "./rollout-correction.ts";
import { type GrpoPrompt, type RolloutGroups, aggregatedRewards, concatGroups, informativeGroups, selectGroups } from "./rollout-groups.ts";

export type { GrpoPrompt } from "./rollout-groups.ts";
export type { GrpoMicroBatch } from "./grpo-batch.ts";

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

/** What the update reads of a micro-batch: its tensors, the frozen passes' and the advantages. */
export type GrpoLossBatch = CompletionTensors & {
  mask: Tensor;
  /** [B] or [B, completionWidth]. */
  advantages: Tensor;
  oldLogProbs?: Tensor;
  refLogProbs?: Tensor;
  rolloutWeights?: Tensor;
  entropyMask?: Tensor;
};

const REF_PREFIX = "ref_model.";

type Sampling = NonNullable<Parameters<typeof grpoStepMetrics>[3]["sampling"]>;

export class GRPOTrainer extends Trainer<Record<string, number>, GrpoHooks> {
  readonly config: ResolvedGrpoConfig;
  readonly rolloutEngine: RolloutEngine;
  /** The LoRA adapters being trained (config.lora), or undefined for full fine-tuning. */
  readonly lora: LoraModel | undefined;
  /** The frozen reference policy (beta > 0; with LoRA and no reference sync the base model serves instead). */
  private ref: TransformerLM | undefined;
  private readonly checkpointingBefore: boolean;
  /** Which policy version samples each step, and the steps handed out ahead (built on first use). */
  private rolloutSchedule: RolloutSchedule<GrpoPrompt[]> | undefined;
  /** The last step's sample completions. */
  lastSamples: GrpoSample[] = [];

  constructor(private readonly options: GrpoTrainerOptions) {
    const config = resolveGrpoConfig(options.config);
    const checkpointingBefore = options.model.model.gradientCheckpointing;
    const lora = config.lora ? applyLora(options.model, config.lora) : undefined;
    super(options.model, config, options, { kind: "grpo", error: GrpoError, createHooks: createGrpoHooks, scheduleSteps: config.steps * config.numIterations, trainable: lora });
    this.config = config;
    this.lora = lora;
    this.checkpointingBefore = checkpointingBefore;
    if (config.gradientCheckpointing) this.model.setGradientCheckpointing(true);
    this.lora?.setTraining(false);
    this.rolloutEngine = options.rolloutEngine ?? new LocalRolloutEngine(this.model, options.tokenizer);
  }

  /** The temperature log-probs are taken at: the sampling temperature (1 for greedy rollouts). */
  private get temperature(): number {
    return this.config.temperature > 0 ? this.config.temperature : 1;
  }

  /** The policy's weights as one plain set (with LoRA: merged). */
  private policyWeights(): Promise<Record<string, HostTensor>> {
    return this.lora ? this.lora.mergedStateDict() : this.model.stateDict();
  }

  /** Builds the reference model from the policy (beta > 0, when the base model cannot serve as it). */
  private async ensureReference(): Promise<void> {
    const c = this.config;
    if (c.beta <= 0 || this.ref || (this.lora && c.refSyncSteps === 0)) return;
    this.ref = new TransformerLM(this.model.config);
    this.ref.loadStateDict(await this.policyWeights());
  }

  /** ref = alpha policy + (1 - alpha) ref every refSyncSteps steps. */
  private syncReference(): void {
    const c = this.config;
    if (!this.ref || !isReferenceSyncStep(this.step, c.refSyncSteps)) return;
    if (!this.lora) return mixReference(this.ref, this.model, c.refMixupAlpha);
    const merged = this.lora.mergedWeights();
    try {
      mixReference(this.ref, merged, c.refMixupAlpha);
    } finally {
      for (const t of merged.values()) t.dispose();
    }
  }

  /** The sampling seed of a step's round: a hash of the run seed, the step and (after the first) the round. */
  private rolloutSeed(step: number, round: number): number {
    const base = (Math.imul(this.config.seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0;
    return round === 0 ? base : (base ^ Math.imul(round, 0xc2b2ae35)) >>> 0;
  }

  /**
   * The rollout correction in force: the configured one, else, for stale rollouts (maxStaleness > 0,
   * importanceCap > 0), truncated per-token weights min(pi_old / pi_sampler, importanceCap).
   */
  private get correction(): { mode: Exclude<RolloutCorrection, "none">; cap: number } | undefined {
    const c = this.config;
    if (c.rolloutCorrection !== "none") return { mode: c.rolloutCorrection, cap: c.rolloutCorrectionCap };
    if (c.maxStaleness > 0 && c.importanceCap > 0) return { mode: "token_truncate", cap: c.importanceCap };
    return undefined;
  }

  private rollouts(): RolloutSchedule<GrpoPrompt[]> {
    this.rolloutSchedule ??= new RolloutSchedule(this.rolloutEngine, this.config.maxStaleness, (step) => this.planStep(step), this.config.steps - 1);
    return this.rolloutSchedule;
  }

  /** The prompts of a step's first sampling round (with dynamic sampling, over-sampled). */
  private get firstRoundPrompts(): number {
    const c = this.config;
    return c.dynamicSampling ? Math.ceil(c.promptsPerStep * c.samplingOversample) : c.promptsPerStep;
  }

  /** Draws `n` prompts for step `step` and the rollout request of its round `round`. */
  private planRound(step: number, round: number, n: number): PlannedStep<GrpoPrompt[]> {
    const c = this.config;
    const drawn = Array.from({ length: n }, () => this.options.prompts(this.rng));
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
      request: { prompts, groupSize: c.groupSize, maxNewTokens: c.maxNewTokens, temperature: c.temperature, topP: c.topP, topK: c.topK, eosTokenId: this.options.eosTokenId, seed: this.rolloutSeed(step, round), step },
    };
  }

  /** Step `step`'s first round (drawn in step order, whatever the staleness). */
  private planStep(step: number): PlannedStep<GrpoPrompt[]> {
    return this.planRound(step, 0, this.firstRoundPrompts);
  }

  protected async runStep(): Promise<Record<string, number>> {
    const c = this.config;
    const t0 = performance.now();
    await this.ensureReference();
    this.syncReference();

    // 1-2. Rollouts and rewards (dynamic sampling: more rounds until promptsPerStep informative groups).
    const timing = { rollout: 0, reward: 0 };
    const { groups, dynamic, policyVersion } = await this.sampleGroups(timing);
    const t2 = performance.now();

    // 3. Frozen passes, advantages; 4. the update.
    // Captured updates pad to bucketed widths, so a run builds a few graphs rather than one per width.
    const maxSeqLen = this.model.config.maxSeqLen;
    const padTo = this.capturing() ? (w: number, cw: number): [number, number] => [Math.min(lengthBucket(w), maxSeqLen), Math.min(lengthBucket(cw), maxSeqLen)] : undefined;
    const micro = packMicroBatches(groups, { microBatchSize: c.microBatchSize, padId: this.options.eosTokenId, maskTruncated: c.maskTruncatedCompletions, padTo });
    let train: UpdateSums;
    let prepared: Awaited<ReturnType<GRPOTrainer["prepare"]>>;
    try {
      prepared = await this.prepare(micro, groups);
      train = await this.optimize(micro);
    } finally {
      dispose(micro.map((m) => [m.oldLogProbs, m.refLogProbs, m.rolloutWeights, m.entropyMask]));
    }
    const t3 = performance.now();
    if (this.rolloutEngine.syncWeights) await this.rolloutEngine.syncWeights(() => this.policyWeights());

    // 5. Metrics.
    const metrics = grpoStepMetrics(groups, groups.scores, train, {
      step: this.step, learningRate: this.schedule(this.step * c.numIterations), withKl: c.beta > 0, rewardKl: prepared.rewardKl,
      fracRewardZeroStd: prepared.fracRewardZeroStd, sampling: prepared.sampling, dynamicSampling: dynamic, policyLag: this.step - policyVersion,
      seconds: { rollout: timing.rollout, reward: timing.reward, train: (t3 - t2) / 1000, total: (performance.now() - t0) / 1000 },
    });
    this.lastSamples = groups.batch.prompts.slice(0, c.logSamples).map((_, i) => {
      const p = groups.prompts[Math.floor(i / c.groupSize)];
      return { prompt: p.question ?? p.prompt, completion: groups.batch.completions[i], reward: groups.scores.total[i] };
    });
    return metrics;
  }

  /**
   * One sampling round: `n` prompts drawn, G completions each, scored (the rollout hooks fire per round).
   * Round 0 comes from the rollout schedule (sampled up to maxStaleness steps ago); later rounds of
   * dynamic sampling are sampled now, by the current policy.
   */
  private async rolloutRound(n: number, round: number, timing: { rollout: number; reward: number }): Promise<RolloutGroups & { policyVersion: number }> {
    const c = this.config;
    const t0 = performance.now();
    let drawn: GrpoPrompt[];
    let promptIds: number[][];
    let rollouts: Rollouts;
    let policyVersion = this.step;
    if (round === 0) {
      const scheduled = await this.rollouts().next(this.step, this.step);
      if (scheduled.plan.length !== n) throw new GrpoError(`step ${this.step}: the rollouts handed out hold ${scheduled.plan.length} prompts, the step needs ${n}`);
      ({ rollouts, plan: drawn, policyVersion } = scheduled);
      promptIds = scheduled.request.prompts as number[][];
    } else {
      const { plan, request } = this.planRound(this.step, round, n);
      drawn = plan;
      promptIds = request.prompts as number[][];
      rollouts = await this.rolloutEngine.generate({ ...request, policyVersion });
    }
    const correction = this.correction;
    if (correction && !rollouts.logProbs) {
      throw new GrpoError(`${c.rolloutCorrection !== "none" ? `rolloutCorrection "${c.rolloutCorrection}"` : "the correction of stale rollouts (maxStaleness > 0)"} needs the sampler's log-probs, and rollout engine "${this.rolloutEngine.name}" returned none`);
    }
    const t1 = performance.now();
    const rows = drawn.flatMap((p) => Array.from({ length: c.groupSize }, () => p));
    const columns: Record<string, unknown[]> = {};
    for (const key of new Set(drawn.flatMap((p) => Object.keys(p.columns)))) columns[key] = rows.map((p) => p.columns[key]);
    const batch: RewardBatch = { prompts: rows.map((p) => p.prompt), completions: rollouts.texts, completionIds: rollouts.completionIds, columns };
    await this.hooks.afterRollout.promise({ ...this.event(), batch, groupSize: c.groupSize, truncated: rollouts.finishReasons.map((r) => r === "length") });
    const scores = await this.options.rewards.score(batch);
    await this.hooks.afterRewards.promise({ ...this.event(), batch, scores });
    timing.rollout += (t1 - t0) / 1000;
    timing.reward += (performance.now() - t1) / 1000;
    return { groupSize: c.groupSize, prompts: drawn, promptIds, completionIds: rollouts.completionIds, finishReasons: rollouts.finishReasons, samplerLogProbs: rollouts.logProbs, batch, scores, policyVersion };
  }

  /** The step's groups: one round, or DAPO's dynamic sampling over several. */
  private async sampleGroups(timing: { rollout: number; reward: number }): Promise<{ groups: RolloutGroups; policyVersion: number; dynamic?: { rounds: number; generated: number; dropped: number; surplus: number; filled: number } }> {
    const c = this.config;
    if (!c.dynamicSampling) {
      const groups = await this.rolloutRound(c.promptsPerStep, 0, timing);
      return { groups, policyVersion: groups.policyVersion };
    }
    // The oldest policy that sampled any round (round 0 may be stale; later rounds are the current policy's).
    let policyVersion = this.step;
    const result = await sampleInformativeGroups({
      target: c.promptsPerStep,
      maxRounds: c.maxSamplingRounds,
      oversample: c.samplingOversample,
      sampleRound: async (n, round) => {
        const r = await this.rolloutRound(n, round, timing);
        policyVersion = Math.min(policyVersion, r.policyVersion);
        const informative = informativeGroups(r, c.rewardAggregation);
        return r.prompts.map((_, index) => ({ round: r, index, informative: informative[index] }));
      },
      informative: (g) => g.informative,
    });
    // Consecutive groups of one round are selected together, then the rounds' selections joined.
    const parts: RolloutGroups[] = [];
    for (let i = 0; i < result.groups.length; ) {
      const round = result.groups[i].round;
      const indices: number[] = [];
      for (; i < result.groups.length && result.groups[i].round === round; i++) indices.push(result.groups[i].index);
      parts.push(selectGroups(round, indices));
    }
    const { generated, dropped, surplus, filled, rounds } = result;
    return { groups: concatGroups(parts), policyVersion, dynamic: { rounds, generated, dropped, surplus, filled } };
  }

  /**
   * The frozen passes (no gradient, at the rollout weights) each option needs, the rollout-correction
   * weights, the entropy mask and the advantages, set on the micro-batches.
   */
  private async prepare(micro: GrpoMicroBatch[], groups: RolloutGroups): Promise<{ fracRewardZeroStd: number; sampling?: Sampling; rewardKl?: number }> {
    const c = this.config;
    const klInReward = c.beta > 0 && c.klIn === "reward";
    const correction = this.correction;
    const needOld = c.numIterations > 1 || correction !== undefined || klInReward;
    const needEntropy = c.topEntropyQuantile < 1;
    const T = this.temperature;
    const entropies: Float32Array[] = [];
    const klRows: number[][] = groups.completionIds.map(() => []);
    const sampling: Sampling[] = [];
    const samplingCounts: { tokens: number; weights: number }[] = [];
    for (const m of micro) {
      const t = completionTensors(m.batch);
      try {
        if (needOld || needEntropy) {
          const out = noGrad(() => completionLogProbs(this.model, t, { temperature: T, entropy: needEntropy ? "detached" : false }));
          if (out.entropy) entropies.push(Float32Array.from(await out.entropy.data()));
          if (needOld) m.oldLogProbs = keep(out.logProbs);
          dispose([needOld ? undefined : out.logProbs, out.entropy]);
        }
        if (c.beta > 0) {
          const ref = this.ref;
          const pass = () => noGrad(() => tidy(() => completionLogProbs(ref ?? this.model, t, { temperature: T }).logProbs));
          m.refLogProbs = keep(ref || !this.lora ? pass() : this.lora.withAdaptersDisabled(pass));
        }
        if (klInReward) {
          const kl = tidy(() => mul(klEstimate(m.oldLogProbs!, m.refLogProbs!, c.klEstimator), t.mask));
          rowsOfTokens(await kl.data(), m, groups.completionIds.map((ids) => ids.length)).forEach((row, b) => (klRows[m.rows[b]] = row));
          kl.dispose();
          m.refLogProbs!.dispose();
          m.refLogProbs = undefined;
        }
        if (correction) {
          const sampler = tensor(layoutTokens(groups.samplerLogProbs!, m), [m.batch.batch, m.batch.completionWidth]);
          const r = rolloutCorrectionWeights(m.oldLogProbs!, sampler, t.mask, correction.mode, correction.cap);
          m.rolloutWeights = keep(r.weights);
          const stats = [r.logpDifferenceMean, r.logpDifferenceMax, r.ratioMin, r.ratioMean, r.ratioMax, r.cappedFraction];
          const [dMean, dMax, rMin, rMean, rMax, capped] = await Promise.all(stats.map(async (x) => (await x.data())[0]));
          sampling.push({ logpDifferenceMean: dMean, logpDifferenceMax: dMax, ratioMin: rMin, ratioMean: rMean, ratioMax: rMax, cappedFraction: capped });
          samplingCounts.push({ tokens: m.batch.activeTokens, weights: correction.mode.startsWith("sequence") ? m.rows.filter((_, b) => m.batch.mask[b * m.batch.completionWidth] > 0).length : m.batch.activeTokens });
          dispose([sampler, ...stats]);
        }
        if (!(c.numIterations > 1 || correction) && m.oldLogProbs) {
          // Old log-probs made only for the KL in the reward: the first pass of the update has them anyway.
          m.oldLogProbs.dispose();
          m.oldLogProbs = undefined;
        }
      } finally {
        dispose(t);
      }
    }
    if (needEntropy) {
      // One threshold over the active tokens of the whole step (TRL: of the whole global batch).
      const all = highEntropyMask(concat(entropies), concat(micro.map((m) => m.batch.mask)), c.topEntropyQuantile);
      let at = 0;
      for (const m of micro) {
        const n = m.batch.mask.length;
        m.entropyMask = keep(tensor(all.slice(at, at + n), [m.batch.batch, m.batch.completionWidth]));
        at += n;
      }
    }
    // Advantages, from the aggregated rewards (less the KL when it goes into the reward).
    const lengths = new Array<number>(groups.completionIds.length).fill(0);
    for (const m of micro) m.rows.forEach((row, b) => (lengths[row] = m.batch.mask.subarray(b * m.batch.completionWidth, (b + 1) * m.batch.completionWidth).reduce((a, v) => a + v, 0)));
    const adv = estimateAdvantages(aggregatedRewards(groups, c.rewardAggregation), {
      estimator: c.advantageEstimator, groupSize: c.groupSize, scaleRewards: c.scaleRewards, lengths,
      batchNormalize: c.rewardAggregation === "normalize_then_sum",
      klPenalty: klInReward ? { beta: c.beta, perToken: klRows } : undefined,
    });
    for (const m of micro) m.advantages = adv.tokenAdvantages ? layoutTokens(adv.tokenAdvantages, m) : Float32Array.from(m.rows, (row) => adv.advantages[row]);
    const activeTokens = lengths.reduce((a, b) => a + b, 0);
    return {
      fracRewardZeroStd: adv.fracRewardZeroStd,
      sampling: sampling.length ? combineSampling(sampling, samplingCounts) : undefined,
      rewardKl: klInReward ? klRows.reduce((a, row, i) => a + (lengths[i] > 0 ? row.reduce((x, y) => x + y, 0) : 0), 0) / Math.max(activeTokens, 1) : undefined,
    };
  }

  /** numIterations updates over the micro-batches; returns the first pass's token-weighted metrics. */
  private async optimize(micro: GrpoMicroBatch[]): Promise<UpdateSums> {
    const c = this.config;
    const globalActive = micro.reduce((a, m) => a + m.batch.activeTokens, 0);
    const sums: UpdateSums = { loss: 0, kl: 0, clipLow: 0, clipHigh: 0, clipRegion: 0, entropy: 0, gradNorm: 0, activeTokens: globalActive };
    this.lora?.setTraining(true);
    try {
      for (let it = 0; it < c.numIterations; it++) {
        const scheduleStep = this.step * c.numIterations + it;
        const result = this.capturing()
          ? await this.capturedUpdate(micro, globalActive, it === 0, scheduleStep)
          : await this.update(micro, (m) => tidy(() => this.policyLoss(this.lossBatch(m), globalActive, micro.length, it === 0)), scheduleStep);
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
      this.lora?.setTraining(false);
    }
    return sums;
  }

  /** One update captured as a graph: the micro-batches (padded to bucketed widths) and every per-step number as tensors. */
  private async capturedUpdate(micro: GrpoMicroBatch[], globalActive: number, withEntropy: boolean, scheduleStep: number) {
    // Every value that changes between steps is an input of the graph, the batch's active tokens (dapo's normaliser) included.
    const tensors = micro.map((m) => ({ ...this.lossBatch(m), globalActive: scalar(globalActive) }));
    const first = tensors[0];
    // One graph per computation: which of the optional inputs there are, and whether advantages are per token.
    const key = `grpo|entropy=${withEntropy}|advantages=${first.advantages.rank}|${["oldLogProbs", "refLogProbs", "rolloutWeights", "entropyMask"].filter((k) => first[k as keyof GrpoLossBatch]).join(",")}`;
    try {
      return await this.updateTensors(key, tensors, (b) => this.policyLoss(b, b.globalActive, micro.length, withEntropy), scheduleStep);
    } finally {
      dispose(tensors.map((t) => [t.inputs, t.positions, t.targets, t.mask, t.advantages, t.globalActive]));
    }
  }

  /**
   * Whether updates are captured (the base's rule), except with LoRA dropout: its masks are drawn on
   * the host each step, and a graph would replay the first step's.
   */
  protected override capturing(): boolean {
    return super.capturing() && !(this.lora && this.lora.config.dropout > 0);
  }

  /** A micro-batch's tensors for the update. */
  private lossBatch(m: GrpoMicroBatch): GrpoLossBatch {
    const { batch: b } = m;
    const tokenLevel = m.advantages.length !== b.batch;
    return {
      ...completionTensors(b),
      advantages: tensor(m.advantages, tokenLevel ? [b.batch, b.completionWidth] : [b.batch], "f32"),
      oldLogProbs: m.oldLogProbs, refLogProbs: m.refLogProbs, rolloutWeights: m.rolloutWeights, entropyMask: m.entropyMask,
    };
  }

  /**
   * The numerical part of GRPO, on tensors only: the training forward (MoE loads counted, balance loss
   * added), completion log-probs at the sampling temperature, the configured loss aggregated by
   * lossType, and the metrics.
   */
  policyLoss(b: GrpoLossBatch, globalActiveTokens: number | Tensor, microBatches: number, withEntropy: boolean): MicroBatchLoss {
    const c = this.config;
    const bonus = c.entropyCoef > 0;
    const lp = completionLogProbs(this.model, b, { temperature: this.temperature, entropy: bonus ? "differentiable" : withEntropy ? "detached" : false, moe: this.moeForward });
    const result = grpoLoss(
      {
        logProbs: lp.logProbs, oldLogProbs: b.oldLogProbs, refLogProbs: c.klIn === "loss" ? b.refLogProbs : undefined, advantages: b.advantages, mask: b.mask,
        rolloutWeights: b.rolloutWeights, entropyMask: b.entropyMask, entropy: bonus ? lp.entropy : undefined,
      },
      {
        lossType: c.lossType, epsilonLow: c.epsilonLow, epsilonHigh: c.epsilonHigh, beta: c.klIn === "loss" ? c.beta : 0, maxCompletionLength: c.maxNewTokens,
        globalActiveTokens, microBatches, importanceSampling: c.importanceSampling, policyLoss: c.policyLoss, delta: c.delta,
        klEstimator: c.klEstimator, entropyCoef: c.entropyCoef,
      },
    );
    return {
      loss: lp.auxLoss ? add(result.loss, lp.auxLoss) : result.loss,
      metrics: { kl: result.kl, clipLow: result.clipLow, clipHigh: result.clipHigh, clipRegion: result.clipRegion, entropy: lp.entropy ? maskedMean(stopGradient(lp.entropy), b.mask) : undefined },
    };
  }

  /** Folds the trained LoRA adapters into the base model (W += s B A): the model alone is then the trained policy. */
  mergeAdapters(): void {
    if (!this.lora) throw new GrpoError("mergeAdapters: this trainer trains no LoRA adapters (config.lora is not set)");
    this.lora.merge();
  }

  /** Saves the trained LoRA adapters as a PEFT adapter folder. */
  async saveAdapters(dir: string, options: { baseModelNameOrPath?: string | null } = {}): Promise<void> {
    if (!this.lora) throw new GrpoError("saveAdapters: this trainer trains no LoRA adapters (config.lora is not set)");
    await saveLoraAdapter(this.lora, dir, options);
  }

  protected override logSamples(): LogEvent["samples"] {
    return this.lastSamples;
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

  /** LoRA's configuration, so that a checkpoint records how its adapter tensors apply. */
  protected override ownState(): Record<string, unknown> {
    return this.config.lora ? { lora: this.config.lora } : {};
  }

  /** The reference model's weights under `ref_model.`; LoRA adapters under PEFT's names. */
  protected override async extraWeights(): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = {};
    if (this.ref) for (const [name, t] of Object.entries(await this.ref.stateDict())) out[REF_PREFIX + name] = t;
    if (this.lora) for (const [name, t] of Object.entries(await this.lora.stateDict())) out[PEFT_PREFIX + name] = t;
    return out;
  }

  protected override restoreWeights(weights: Record<string, HostTensor>): void {
    const { policy, ref, adapters } = splitTrainerWeights(weights);
    this.model.loadStateDict(policy);
    if (Object.keys(ref).length > 0) {
      this.ref?.dispose();
      this.ref = new TransformerLM(this.model.config);
      this.ref.loadStateDict(ref);
    }
    if (this.lora) this.lora.loadStateDict(adapters);
    else if (Object.keys(adapters).length > 0) throw new GrpoError("the checkpoint holds LoRA adapters, but this trainer has no config.lora: give the run's lora options to resume it");
  }

  override dispose(): void {
    super.dispose();
    this.ref?.dispose();
    this.ref = undefined;
    this.lora?.dispose();
    this.model.setGradientCheckpointing(this.checkpointingBefore);
    this.rolloutEngine.dispose?.();
  }
}

/** A GRPO checkpoint's policy weights, its reference model's (under `ref_model.`) and its LoRA adapters (PEFT names, prefix removed). */
export function splitTrainerWeights(weights: Record<string, HostTensor>): { policy: Record<string, HostTensor>; ref: Record<string, HostTensor>; adapters: Record<string, HostTensor> } {
  const policy: Record<string, HostTensor> = {};
  const ref: Record<string, HostTensor> = {};
  const adapters: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(weights)) {
    if (name.startsWith(REF_PREFIX)) ref[name.slice(REF_PREFIX.length)] = t;
    else if (name.startsWith(PEFT_PREFIX)) adapters[name.slice(PEFT_PREFIX.length)] = t;
    else policy[name] = t;
  }
  return { policy, ref, adapters };
}

/** Policy weights and the reference model's (saved under `ref_model.`) of a GRPO checkpoint. */
export function splitReference(weights: Record<string, HostTensor>): { policy: Record<string, HostTensor>; ref: Record<string, HostTensor> } {
  const { policy, ref } = splitTrainerWeights(weights);
  return { policy, ref };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The micro-batches' rollout-correction statistics as the step's: means weighted by the tokens (or sequences) they are over. */
function combineSampling(parts: readonly Sampling[], counts: readonly { tokens: number; weights: number }[]): Sampling {
  const weighted = (f: (s: Sampling) => number, by: (c: { tokens: number; weights: number }) => number) =>
    parts.reduce((a, s, i) => a + f(s) * by(counts[i]), 0) / Math.max(counts.reduce((a, c) => a + by(c), 0), 1);
  return {
    logpDifferenceMean: weighted((s) => s.logpDifferenceMean, (c) => c.tokens),
    logpDifferenceMax: Math.max(...parts.map((s) => s.logpDifferenceMax)),
    ratioMin: Math.min(...parts.map((s) => s.ratioMin)),
    ratioMean: weighted((s) => s.ratioMean, (c) => c.weights),
    ratioMax: Math.max(...parts.map((s) => s.ratioMax)),
    cappedFraction: weighted((s) => s.cappedFraction, (c) => c.weights),
  };
}
