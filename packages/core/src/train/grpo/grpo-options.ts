/**
 * GRPO's options (docs/grpo-algorithm.md), as the one zod schema that run configs, pipeline stages and
 * code all go through: every default below is the same however the trainer is made.
 */
import { z } from "zod";
import { R1tsError } from "../../errors.ts";
import { parseTrainerOptions, trainerLoopSchema } from "../trainer-options.ts";
import { SCALE_REWARDS } from "./advantages.ts";
import { LOSS_TYPES } from "./loss.ts";

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
  /** Reset the reference model to the policy every this many steps (0: never; R1-Zero: 400). */
  refResetEvery: int().default(0),
  /** Rows per forward/backward pass (gradient accumulation over the rollout batch); default: all. */
  microBatchSize: int(1).optional(),
  /** Sample completions passed to onLog each step. */
  logSamples: int().default(4),
}).strict();

/** GRPO's options as written in code or config (defaults optional). */
export type GrpoConfig = z.input<typeof grpoOptionsSchema>;
/** ... and with every default filled in (epsilonHigh too). */
export type ResolvedGrpoConfig = z.output<typeof grpoOptionsSchema> & { epsilonHigh: number };

/** A bad GRPO option: names it, what it must be and what was given. */
export class GrpoConfigError extends R1tsError {}

export function resolveGrpoConfig(config: GrpoConfig): ResolvedGrpoConfig {
  const resolved = parseTrainerOptions(grpoOptionsSchema, config, "grpo", GrpoConfigError);
  return { ...resolved, epsilonHigh: resolved.epsilonHigh ?? resolved.epsilonLow };
}
