/**
 * The trainer's hooks, like webpack's `compiler.hooks`: typed tapable hooks created once and frozen.
 * Logging, checkpointing, early stopping, MoE bias updates and progress bars are taps on these, not
 * special cases in the trainer. Trainers call `await hooks.<name>.promise(event)`; plugins tap with
 * `hooks.<name>.tap(NAME, fn)` or `.tapPromise(NAME, async fn)`, where NAME is their plugin name.
 *
 * Every trainer has the hooks below; a trainer with more events adds its own on top (GRPO's
 * `afterRollout` and `afterRewards`, see grpo/grpo-hooks.ts). A run's hooks (the ones plugins tap) hold
 * every trainer's, and each trainer's events are forwarded to them.
 */
import { AsyncSeriesHook } from "tapable";
import type { CheckpointEvent, EvalEvent, LogEvent, StepEndEvent, StepStartEvent } from "./events.ts";
import { HookError } from "./errors.ts";

export interface TrainerHooks {
  /** Before a step's batch (SFT, distillation) or rollouts (GRPO). */
  readonly beforeStep: AsyncSeriesHook<[StepStartEvent]>;
  /** After the optimizer update, with the step's metrics (early stopping taps here). */
  readonly afterStep: AsyncSeriesHook<[StepEndEvent]>;
  /** Before a checkpoint is written; taps may add metadata. */
  readonly beforeCheckpoint: AsyncSeriesHook<[CheckpointEvent]>;
  /** Whenever the trainer logs metrics (every `logEvery` steps and the last): loggers, metrics sinks. */
  readonly onLog: AsyncSeriesHook<[LogEvent]>;
  /** After a held-out evaluation. */
  readonly onEval: AsyncSeriesHook<[EvalEvent]>;
}

export type TrainerHookName = keyof TrainerHooks;

export const TRAINER_HOOK_NAMES: readonly TrainerHookName[] = Object.freeze(["beforeStep", "afterStep", "beforeCheckpoint", "onLog", "onEval"]);

/** A fresh, frozen set of the hooks every trainer has. */
export function createTrainerHooks(): TrainerHooks {
  return createHooks<TrainerHooks>(TRAINER_HOOK_NAMES);
}

/**
 * A frozen object with one AsyncSeriesHook per name; a tap that throws fails with a HookError naming the
 * hook and the tap. The type parameter says what each hook's event is.
 */
export function createHooks<H extends object>(names: readonly string[]): H {
  const hooks: Record<string, AsyncSeriesHook<[never]>> = {};
  for (const name of names) hooks[name] = nameTapErrors(new AsyncSeriesHook<[never]>(["event"], name), name);
  return Object.freeze(hooks) as unknown as H;
}

/** Wraps every tap so that what it throws (or rejects with) says which hook and which tap. */
function nameTapErrors<H extends AsyncSeriesHook<any>>(hook: H, hookName: string): H {
  hook.intercept({
    register(tap) {
      const fn = tap.fn as (...args: unknown[]) => unknown;
      const wrap = (error: unknown) => (error instanceof HookError ? error : new HookError(hookName, tap.name, error));
      if (tap.type === "sync") {
        tap.fn = (...args: unknown[]) => {
          try {
            return fn(...args);
          } catch (error) {
            throw wrap(error);
          }
        };
      } else if (tap.type === "promise") {
        tap.fn = (...args: unknown[]) => Promise.resolve().then(() => fn(...args)).catch((error) => { throw wrap(error); });
      } else {
        tap.fn = (...args: unknown[]) => {
          const callback = args.pop() as (error?: unknown, result?: unknown) => void;
          return fn(...args, (error?: unknown, result?: unknown) => callback(error ? wrap(error) : error, result));
        };
      }
      return tap;
    },
  });
  return hook;
}
