/**
 * The parts of a run that plugins may replace or add, resolved from the run's tsyringe container: the
 * rollout engine (GRPO's completions), the checkpoint store, the model evaluator (held-out evaluation),
 * the tokenizers (by name, for model bundles whose config names one) and the metrics sinks (loggers).
 * `createRunContext` registers the defaults first; a plugin's `api.register...` registers its own after
 * them, and `resolve` returns the last registration. Stages and the runner only ever go through here.
 */
import type { DependencyContainer } from "tsyringe";
import { heldOutEvaluator } from "../eval/eval-report.ts";
import type { ModelEvaluator } from "../eval/evaluator.ts";
import { localRolloutEngineFactory } from "../sampling/local-rollout-engine.ts";
import type { RolloutEngineFactory } from "../sampling/rollout-engine.ts";
import { type CheckpointStoreFactory, directoryCheckpointStoreFactory } from "../train/checkpoint-store.ts";
import type { MetricsSink } from "../train/metrics-sink.ts";
import { CHECKPOINT_STORE_FACTORY, METRICS_SINK, MODEL_EVALUATOR, ROLLOUT_ENGINE_FACTORY } from "./tokens.ts";

export interface RunParts {
  readonly rolloutEngine: RolloutEngineFactory;
  readonly checkpointStore: CheckpointStoreFactory;
  readonly evaluator: ModelEvaluator;
  readonly metricsSinks: readonly MetricsSink[];
}

/** Registers core's defaults of the replaceable parts (before any plugin's setup). */
export function registerDefaultParts(container: DependencyContainer): void {
  container.register(ROLLOUT_ENGINE_FACTORY, { useValue: localRolloutEngineFactory });
  container.register(CHECKPOINT_STORE_FACTORY, { useValue: directoryCheckpointStoreFactory });
  container.register(MODEL_EVALUATOR, { useValue: heldOutEvaluator });
}

/** The parts as the container resolves them now. */
export function resolveRunParts(container: DependencyContainer): RunParts {
  return Object.freeze({
    rolloutEngine: container.resolve<RolloutEngineFactory>(ROLLOUT_ENGINE_FACTORY),
    checkpointStore: container.resolve<CheckpointStoreFactory>(CHECKPOINT_STORE_FACTORY),
    evaluator: container.resolve<ModelEvaluator>(MODEL_EVALUATOR),
    metricsSinks: Object.freeze(container.isRegistered(METRICS_SINK, false) ? container.resolveAll<MetricsSink>(METRICS_SINK) : []),
  });
}
