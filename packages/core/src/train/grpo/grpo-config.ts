/** GRPO's options with the defaults of REFERENCE §1 (every default is a config option). */
import { R1tsError } from "../../errors.ts";
import type { OptimizationConfig } from "../optimization.ts";
import { type ScaleRewards, SCALE_REWARDS } from "./advantages.ts";
import { type LossType, LOSS_TYPES } from "./loss.ts";

export interface GrpoConfig extends OptimizationConfig {
  /** Optimizer steps (each on a fresh batch of rollouts, numIterations passes over it). */
  steps: number;
  /** Distinct prompts per step. */
  promptsPerStep: number;
  /** G: completions per prompt. */
  groupSize: number;
  /** The most tokens a completion may have (also dr_grpo's constant). */
  maxNewTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  /** KL coefficient (0: no reference model is held). */
  beta?: number;
  epsilonLow?: number;
  /** Default: epsilonLow (DAPO's clip-higher sets 0.28). */
  epsilonHigh?: number;
  lossType?: LossType;
  scaleRewards?: ScaleRewards;
  /** mu: optimizer steps on each batch of rollouts (1 = purely on-policy). */
  numIterations?: number;
  /** Completions that hit maxNewTokens without EOS get zero loss weight. */
  maskTruncatedCompletions?: boolean;
  /** Reset the reference model to the policy every this many steps (0: never; R1-Zero: 400). */
  refResetEvery?: number;
  /** Rows per forward/backward pass (gradient accumulation over the rollout batch); default: all. */
  microBatchSize?: number;
  seed?: number;
  /** Sample completions passed to onLog each step. */
  logSamples?: number;
  /**
   * Asynchronous rollouts: step t+1..t+k's rollouts generate while step t trains, so a step trains on
   * completions sampled up to k optimizer steps ago (0: synchronous, on-policy).
   */
  maxStaleness?: number;
}

export type ResolvedGrpoConfig = Required<Omit<GrpoConfig, "topK" | "microBatchSize" | "minLr" | "warmupSteps" | "schedule" | "weightDecay" | "beta1" | "beta2" | "maxGradNorm">> & GrpoConfig;

/** A bad GRPO option: names it, what it must be and what was given. */
export class GrpoConfigError extends R1tsError {}

export function resolveGrpoConfig(config: GrpoConfig): ResolvedGrpoConfig {
  const epsilonLow = config.epsilonLow ?? 0.2;
  const r = {
    temperature: 1,
    topP: 1,
    beta: 0,
    lossType: "grpo" as LossType,
    scaleRewards: "group" as ScaleRewards,
    numIterations: 1,
    maskTruncatedCompletions: false,
    refResetEvery: 0,
    seed: 0,
    logSamples: 4,
    maxStaleness: 0,
    ...stripUndefined(config),
    epsilonLow,
    epsilonHigh: config.epsilonHigh ?? epsilonLow,
  };
  const int = (name: keyof GrpoConfig, min: number): void => {
    const v = r[name as keyof typeof r];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw new GrpoConfigError(`grpo.${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  int("steps", 0);
  int("promptsPerStep", 1);
  int("groupSize", 1);
  int("maxNewTokens", 1);
  int("numIterations", 1);
  int("refResetEvery", 0);
  int("seed", 0);
  int("logSamples", 0);
  int("maxStaleness", 0);
  if (r.microBatchSize !== undefined) int("microBatchSize", 1);
  const nonNegative = (name: keyof GrpoConfig): void => {
    const v = r[name as keyof typeof r];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new GrpoConfigError(`grpo.${name} must be a finite number >= 0, got ${JSON.stringify(v)}`);
  };
  nonNegative("beta");
  nonNegative("epsilonLow");
  nonNegative("epsilonHigh");
  nonNegative("temperature");
  if (!(r.topP > 0 && r.topP <= 1)) throw new GrpoConfigError(`grpo.topP must be in (0, 1], got ${r.topP}`);
  if (!LOSS_TYPES.includes(r.lossType)) throw new GrpoConfigError(`grpo.lossType must be one of ${LOSS_TYPES.join(", ")}, got ${JSON.stringify(r.lossType)}`);
  if (!SCALE_REWARDS.includes(r.scaleRewards)) throw new GrpoConfigError(`grpo.scaleRewards must be one of ${SCALE_REWARDS.join(", ")}, got ${JSON.stringify(r.scaleRewards)}`);
  return r as ResolvedGrpoConfig;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
