/**
 * A run's hooks: the union of every built-in trainer's hooks. Plugins tap these (`api.hooks`); a stage
 * forwards its trainer's events to them (tagged with the stage's id), so a tap on `afterRollout` sees
 * the rollouts of every GRPO stage of the run and a tap on `afterStep` every trainer's steps.
 */
import { GRPO_HOOK_NAMES, type GrpoHooks } from "../grpo/grpo-hooks.ts";
import { createHooks } from "./trainer-hooks.ts";

export type RunHooks = GrpoHooks;

export type RunHookName = keyof RunHooks;

export const RUN_HOOK_NAMES: readonly RunHookName[] = GRPO_HOOK_NAMES;

export function createRunHooks(): RunHooks {
  return createHooks<RunHooks>(RUN_HOOK_NAMES);
}
