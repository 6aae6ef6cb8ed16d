/** GRPO's hooks: every trainer's, plus the two around its rollouts. */
import type { AsyncSeriesHook } from "tapable";
import type { RewardsEvent, RolloutEvent } from "../hooks/events.ts";
import { TRAINER_HOOK_NAMES, type TrainerHooks, createHooks } from "../hooks/trainer-hooks.ts";

export interface GrpoHooks extends TrainerHooks {
  /** After generation, before rewards. */
  readonly afterRollout: AsyncSeriesHook<[RolloutEvent]>;
  /** After the reward runner scored the rollouts, before advantages. */
  readonly afterRewards: AsyncSeriesHook<[RewardsEvent]>;
}

export type GrpoHookName = keyof GrpoHooks;

export const GRPO_HOOK_NAMES: readonly GrpoHookName[] = Object.freeze([
  "beforeStep", "afterRollout", "afterRewards", ...TRAINER_HOOK_NAMES.filter((n) => n !== "beforeStep"),
]);

export function createGrpoHooks(): GrpoHooks {
  return createHooks<GrpoHooks>(GRPO_HOOK_NAMES);
}
