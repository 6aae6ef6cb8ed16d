/**
 * Hooks of the pipeline itself, fired once per stage: `beforeStage`, `afterStage` and `stageSkipped`
 * (a stage already completed with the same config and inputs). They live in the run's container, so a
 * plugin taps them in setup: `pipelineHooks(api.container).afterStage.tap(NAME, (e) => ...)`. Trainer
 * events inside a stage reach the run's trainer hooks (`api.hooks`) with `event.stage` set.
 */
import { AsyncSeriesHook } from "tapable";
import type { DependencyContainer } from "tsyringe";
import type { StageRecord } from "./stage-record.ts";

export const PIPELINE_HOOKS = Symbol.for("r1ts.PipelineHooks");

export interface StageEvent {
  /** The stage's id in the pipeline, and its registered name. */
  readonly id: string;
  readonly stage: string;
  /** Position in the pipeline (0-based) and the number of stages. */
  readonly index: number;
  readonly total: number;
  readonly dir: string;
}

export interface StageStartEvent extends StageEvent {
  /** The checkpoint an interrupted attempt left, when the stage resumes from it. */
  readonly resumeFrom: string | undefined;
}

export interface StageDoneEvent extends StageEvent {
  readonly record: StageRecord;
}

export interface PipelineHooks {
  readonly beforeStage: AsyncSeriesHook<[StageStartEvent]>;
  readonly afterStage: AsyncSeriesHook<[StageDoneEvent]>;
  readonly stageSkipped: AsyncSeriesHook<[StageDoneEvent]>;
}

export function createPipelineHooks(): PipelineHooks {
  return Object.freeze({
    beforeStage: new AsyncSeriesHook<[StageStartEvent]>(["event"], "beforeStage"),
    afterStage: new AsyncSeriesHook<[StageDoneEvent]>(["event"], "afterStage"),
    stageSkipped: new AsyncSeriesHook<[StageDoneEvent]>(["event"], "stageSkipped"),
  });
}

/** The pipeline hooks of a run's container, created on first use. */
export function pipelineHooks(container: DependencyContainer): PipelineHooks {
  if (container.isRegistered(PIPELINE_HOOKS, false)) return container.resolve<PipelineHooks>(PIPELINE_HOOKS);
  const hooks = createPipelineHooks();
  container.register(PIPELINE_HOOKS, { useValue: hooks });
  return hooks;
}
