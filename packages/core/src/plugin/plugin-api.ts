/** What a plugin's `setup` receives: registration functions, the run's hooks and its container. */
import type { DependencyContainer } from "tsyringe";
import type { BackendFactory } from "../backend/backend.ts";
import type { RunHooks } from "../train/hooks/run-hooks.ts";
import type { Reward } from "../reward/reward.ts";
import type { StageDefinition, TokenizerFactory } from "./contributions.ts";

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
  /** Adds a backend to the run and to core's backend registry, so `setBackend(name)` finds it. */
  registerBackend(factory: BackendFactory): void;
  registerTokenizer(factory: TokenizerFactory): void;
  warn(message: string): void;
}
