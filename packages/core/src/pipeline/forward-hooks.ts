/**
 * Trainers create their own hooks; a stage forwards every event of its trainer's hooks to the run's
 * hooks (the ones plugins tapped), with `stage` set to the stage's id. The event's `control` and a
 * checkpoint's `metadata` are the trainer's own objects, so a plugin can still stop training early or
 * add checkpoint metadata through the forwarded event.
 */
import { TRAINER_HOOK_NAMES, type TrainerHooks } from "../hooks/trainer-hooks.ts";

export const FORWARD_TAP = "r1ts:pipeline";

export function forwardTrainerHooks(from: TrainerHooks, to: TrainerHooks, stage: string): void {
  if (from === to) return;
  for (const name of TRAINER_HOOK_NAMES) {
    const target = to[name] as unknown as { promise(event: unknown): Promise<void> };
    (from[name] as unknown as { tapPromise(tap: string, fn: (event: object) => Promise<void>): void })
      .tapPromise(FORWARD_TAP, (event) => target.promise({ ...event, stage }));
  }
}
