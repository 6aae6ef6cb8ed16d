/**
 * Rollout engine kinds a plugin provides (the queue engine of @r1ts/queue): registered in the run's
 * container under a name, chosen by a run config's `rollout.engine` with options of their own, and made per
 * training stage with the policy they serve (pipeline/stages/stage-rollout-engine.ts makes every engine).
 * The built-in kind `local` takes no options: it is the container's rollout-engine part, which
 * `registerRolloutEngine` replaces (for code that swaps the engine without options). An engine's own
 * options (its Redis, queue, weight store) sit beside `engine` in the `rollout` section and are validated
 * by its schema; `maxStaleness`, `importanceCap` and `rewardsOn` are the trainer's.
 */
import { z } from "zod";
import type { Tokenizer } from "../data/tokenizer.ts";
import type { TransformerLM } from "../nn/transformer-lm.ts";
import type { RewardRunner } from "../reward/runner.ts";
import type { RolloutEngine } from "./rollout-engine.ts";

/** The `rollout` section of a run config or a GRPO stage's options. */
export const rolloutConfigSchema = z.object({
  /** `local` (generation on the training model) or a registered engine's name (`queue`). */
  engine: z.string().min(1).default("local"),
  /** Async rollouts: step t+1..t+k generate while step t trains (0 = synchronous). */
  maxStaleness: z.number().int().min(0).default(0),
  /** With maxStaleness > 0: the cap C of the truncated importance weights min(pi_old / pi_sampler, C) (0 = none). */
  importanceCap: z.number().min(0).default(2),
  /** Where rewards are scored: on the trainer, or by the engine's workers (it must support that). */
  rewardsOn: z.enum(["trainer", "workers"]).default("trainer"),
}).catchall(z.unknown());

export type RolloutConfig = z.output<typeof rolloutConfigSchema>;

/** What a factory gets to build an engine for one training run. */
export interface RolloutEngineContext {
  /** A stable id of the run (the same when it resumes): names its jobs and stored weights. */
  readonly runId: string;
  /** The run's (or stage's) directory. */
  readonly dir: string;
  readonly model: TransformerLM;
  readonly tokenizer: Pick<Tokenizer, "encode" | "decode">;
  readonly eosTokenId: number;
  /** The run's maxStaleness (an engine keeps that many older policy versions available). */
  readonly maxStaleness: number;
  /** The rewards as the config lists them, with the plugins that provide them (for engines that score remotely). */
  readonly rewards: { readonly plugins: readonly unknown[]; readonly uses: readonly unknown[]; readonly local: RewardRunner };
  log(message: string): void;
}

export interface MadeRolloutEngine {
  engine: RolloutEngine;
  /** A runner scoring on the engine's workers (`rewardsOn: workers`); absent when the engine cannot. */
  rewards?: RewardRunner;
  /** Closes connections (after training). */
  close(): Promise<void>;
}

export interface RolloutEngineKind<O = unknown> {
  readonly name: string;
  readonly description?: string;
  /** The engine's own options of the `rollout` section (engine, maxStaleness, importanceCap and rewardsOn excluded). */
  readonly options: z.ZodType<O>;
  create(context: RolloutEngineContext, options: O, rewardsOn: RolloutConfig["rewardsOn"]): Promise<MadeRolloutEngine>;
}
