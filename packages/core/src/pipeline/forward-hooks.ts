/**
 * Trainers create their own hooks; a stage forwards every event of its trainer's hooks to the run's
 * hooks (the ones plugins tapped), with `stage` set to the stage's id. The event's `control` and a
 * checkpoint's `metadata` are the trainer's own objects, so a plugin can still stop training early or
 * add checkpoint metadata through the forwarded event. Each hook the trainer has (GRPO's rollout hooks
 * too) goes to the run's hook of the same name.
 */
import type { RunHooks } from "../train/hooks/run-hooks.ts";
import type { TrainerHooks } from "../train/hooks/trainer-hooks.ts";

export const FORWARD_TAP = "r1ts:pipeline";

type AnyHook = { promise(event: unknown): Promise<void>; tapPromise(tap: string, fn: (event: object) => Promise<void>): void };

export function forwardTrainerHooks(from: TrainerHooks, to: RunHooks, stage: string): void {
  if ((from as unknown) === to) return;
  for (const name of Object.keys(from)) {
    const target = (to as unknown as Record<string, AnyHook | undefined>)[name];
    if (!target) continue;
    (from as unknown as Record<string, AnyHook>)[name].tapPromise(FORWARD_TAP, (event) => target.promise({ ...event, stage }));
  }
}
