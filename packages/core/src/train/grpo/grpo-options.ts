/**
 * GRPO's options (docs/grpo-algorithm.md), as the one zod schema that run configs, pipeline stages and
 * code all go through: every default below is the same however the trainer is made.
 */
import { z } from "zod";
import { R1tsError } from "../../errors.ts";
import { parseTrainerOptions, trainerLoopSchema } from "../trainer-options.ts";
import { loraConfigSchema } from "../../lora/lora-config.ts";
import { ADVANTAGE_ESTIMATORS } from "./advantage-estimators.ts";
import { SCALE_REWARDS } from "./advantages.ts";
import { IMPORTANCE_SAMPLING_LEVELS } from "./importance-weights.ts";
import { KL_ESTIMATORS, KL_PLACEMENTS } from "./kl-estimators.ts";
import { LOSS_TYPES } from "./loss.ts";
import { POLICY_LOSSES } from "./policy-objective.ts";
import { REWARD_AGGREGATIONS } from "./reward-aggregation.ts";
import { ROLLOUT_CORRECTIONS } from "./rollout-correction.ts";

const int = (min = 0) => z.number().int().min(min);
const nonNegative = () => z.number().min(0);
const unitInterval = () => z.number().gt(0, { error: "in (0, 1]" }).max(1, { error: "in (0, 1]" });

export const grpoOptionsSchema = trainerLoopSchema.extend({
  /** Distinct prompts per step. */
  promptsPerStep: int(1),
  /** G: completions per prompt. */
  groupSize: int(1),
  /** The most tokens a completion may have (also dr_grpo's constant). */
  maxNewTokens: int(1),
  temperature: nonNegative().default(1),
  topP: unitInterval().default(1),
  topK: int().optional(),
  /** KL coefficient (0: no reference model is held). */
  beta: nonNegative().default(0),
  epsilonLow: z.number().min(0).lt(1).default(0.2),
  /** Default: epsilonLow (DAPO's clip-higher sets 0.28). */
  epsilonHigh: nonNegative().optional(),
  lossType: z.enum(LOSS_TYPES).default("grpo"),
  scaleRewards: z.enum(SCALE_REWARDS).default("group"),
  /** mu: optimizer steps on each batch of rollouts (1 = purely on-policy). */
  numIterations: int(1).default(1),
  /** Completions that hit maxNewTokens without EOS get zero loss weight. */
  maskTruncatedCompletions: z.boolean().default(false),
  /** Rows per forward/backward pass (gradient accumulation over the rollout batch); default: all. */
  microBatchSize: int(1).optional(),
  /** Sample completions passed to onLog each step. */
  logSamples: int().default(4),

  // The variants below default to plain GRPO (docs/grpo.md lists TRL's and verl's names for each).
  /** Importance weights per token (GRPO) or one per sequence, the length-normalised log-ratio (GSPO). */
  importanceSampling: z.enum(IMPORTANCE_SAMPLING_LEVELS).default("token"),
  /** The clipped surrogate, or CISPO's truncated, detached weight times log-prob. */
  policyLoss: z.enum(POLICY_LOSSES).default("clip"),
  /** INTELLECT-2's two-sided clip: cap of the unclipped ratio (> 1 + epsilonHigh); off when absent. */
  delta: z.number().optional(),
  /** Correct the sampler/trainer mismatch with truncated (or masked) importance weights (TIS). */
  rolloutCorrection: z.enum(ROLLOUT_CORRECTIONS).default("none"),
  /** The cap C of the rollout-correction weights. */
  rolloutCorrectionCap: z.number().gt(0).default(3),
  /** KL estimator: k1 (log-ratio), k2 (squared / 2) or k3 (GRPO's). */
  klEstimator: z.enum(KL_ESTIMATORS).default("k3"),
  /** The KL penalty as a term of the loss (GRPO) or subtracted from the reward (PPO, REINFORCE++). */
  klIn: z.enum(KL_PLACEMENTS).default("loss"),
  /** grpo (group-normalised), rloo (leave-one-out), reinforce++ (batch-whitened), reinforce++_baseline. */
  advantageEstimator: z.enum(ADVANTAGE_ESTIMATORS).default("grpo"),
  /** Several rewards: weighted sum, then normalised (GRPO) or each normalised within its group, then summed (GDPO). */
  rewardAggregation: z.enum(REWARD_AGGREGATIONS).default("sum_then_normalize"),
  /** DAPO's dynamic sampling: drop groups whose rewards all agree and sample again (at most maxSamplingRounds). */
  dynamicSampling: z.boolean().default(false),
  maxSamplingRounds: int(1).default(4),
  /** Prompts sampled per missing group in each dynamic-sampling round. */
  samplingOversample: z.number().min(1).default(1.5),
  /** Keep the policy loss at the top rho quantile of tokens by entropy ("Beyond the 80/20 Rule": 0.2); 1 keeps all. */
  topEntropyQuantile: z.number().min(0).max(1).default(1),
  /** Entropy bonus: the loss minus entropyCoef x the mean entropy of the active tokens. */
  entropyCoef: nonNegative().default(0),
  /** Move the reference toward the policy every this many steps (0: never; R1-Zero resets every 400). */
  refSyncSteps: int().default(0),
  /** ref = alpha policy + (1 - alpha) ref at each sync (1: a reset to the policy). */
  refMixupAlpha: z.number().min(0).max(1).default(1),
  /** Train LoRA adapters on a frozen base instead of every weight (rollouts use the adapted model). */
  lora: loraConfigSchema.optional(),
  /** Recompute each decoder block's activations in backward (bit-identical gradients, less memory). */
  gradientCheckpointing: z.boolean().default(false),
  /**
   * Asynchronous rollouts: step t+1..t+k's rollouts generate while step t trains, so a step trains on
   * completions sampled up to k optimizer steps ago (0: synchronous, on-policy). Run configs set it as
   * rollout.maxStaleness.
   */
  maxStaleness: int().default(0),
  /**
   * With maxStaleness > 0: the cap C of the truncated importance weights min(pi_old / pi_sampler, C) that
   * correct stale rollouts (0 = no correction). Run configs set it as rollout.importanceCap.
   */
  importanceCap: nonNegative().default(2),
}).strict();

/** GRPO's options as written in code or config (defaults optional). */
export type GrpoConfig = z.input<typeof grpoOptionsSchema>;
/** ... and with every default filled in (epsilonHigh too). */
export type ResolvedGrpoConfig = z.output<typeof grpoOptionsSchema> & { epsilonHigh: number };

/** A bad GRPO option: names it, what it must be and what was given. */
export class GrpoConfigError extends R1tsError {}

export function resolveGrpoConfig(config: GrpoConfig): ResolvedGrpoConfig {
  const resolved = parseTrainerOptions(grpoOptionsSchema, config, "grpo", GrpoConfigError);
  const r = { ...resolved, epsilonHigh: resolved.epsilonHigh ?? resolved.epsilonLow };
  if (r.delta !== undefined && !(r.delta > 1 + r.epsilonHigh)) throw new GrpoConfigError(`grpo.delta must be greater than 1 + epsilonHigh (${1 + r.epsilonHigh}), got ${r.delta}`);
  if (r.advantageEstimator !== "grpo" && r.scaleRewards !== "group") {
    throw new GrpoConfigError(`grpo.scaleRewards applies to advantageEstimator "grpo" only (${r.advantageEstimator} has its own normalisation), got ${JSON.stringify(r.scaleRewards)}`);
  }
  if (r.dynamicSampling && r.groupSize < 2) throw new GrpoConfigError(`grpo.dynamicSampling needs groupSize >= 2 (a group of one always has zero reward variance), got ${r.groupSize}`);
  return r;
}
