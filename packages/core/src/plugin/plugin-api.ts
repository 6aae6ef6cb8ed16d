/** What a plugin's `setup` receives: registration functions, the run's hooks and its container. */
import type { DependencyContainer } from "tsyringe";
import type { BackendFactory } from "../backend/backend.ts";
import type { ModelEvaluator } from "../eval/evaluator.ts";
import type { RolloutEngineFactory } from "../sampling/rollout-engine.ts";
import type { CheckpointStoreFactory } from "../train/checkpoint-store.ts";
import type { MetricsSink } from "../train/metrics-sink.ts";
import type { RunHooks } from "../train/hooks/run-hooks.ts";
import type { Reward } from "../reward/reward.ts";
import type { StageDefinition, TokenizerFactory } from "./contributions.ts";
import type { RolloutEngineKind } from "../sampling/rollout-engine-kind.ts";

export interface PluginApi {
  /** The plugin being set up. */
  readonly plugin: { readonly name: string; readonly version: string };
  readonly coreVersion: string;
  /** The run's trainer hooks (every trainer's, GRPO's rollout hooks too): tap them with the plugin's name. */
  readonly hooks: RunHooks;
  /** The run's tsyringe container (advanced: declare tsyringe a peer dependency if you use it). */
  readonly container: DependencyContainer;
  /** The config the run was created with, read-only (undefined when composed in code without one). */
  readonly config: unknown;
  /** Adds a reward under its name; two rewards with one name fail the run, naming both plugins. */
  registerReward(reward: Reward<any>): void;
  registerStage(stage: StageDefinition): void;
  /** Adds a backend to this run (its backend: line may name it); other runs do not see it. */
  registerBackend(factory: BackendFactory): void;
  /** A tokenizer by name: a model bundle whose config.json says `tokenizer: { factory: <name>, options }` uses it. */
  registerTokenizer(factory: TokenizerFactory): void;
  /** Replaces the run's rollout engine (GRPO's completions; default: generation on the policy). One plugin may. */
  registerRolloutEngine(factory: RolloutEngineFactory): void;
  /** Adds a rollout engine kind that run configs choose with `rollout: { engine: <name>, ...its options }`. */
  registerRolloutEngineKind(kind: RolloutEngineKind<any>): void;
  /** Replaces the run's checkpoint store (default: step-N directories). One plugin may. */
  registerCheckpointStore(factory: CheckpointStoreFactory): void;
  /** Replaces how the run evaluates models on held-out problems (default: evaluateBundle). One plugin may. */
  registerEvaluator(evaluator: ModelEvaluator): void;
  /** Adds a metrics sink: it receives every trainer's onLog events (tagged with the stage). */
  registerMetricsSink(sink: MetricsSink): void;
  warn(message: string): void;
}
