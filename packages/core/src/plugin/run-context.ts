/**
 * The composition root of a run: one tsyringe container, the run's trainer hooks, and every plugin loaded
 * (by object or by name), checked (core range, options) and set up, in order. Composing in code and in
 * config give the same context: both are lists of plugin specs. Trainers take a RunContext and read the
 * rewards, stages, backends and tokenizers that plugins registered, and fire its hooks.
 */
import "reflect-metadata";
import { container as rootContainer } from "tsyringe";
import type { DependencyContainer } from "tsyringe";
import semver from "semver";
import type { BackendFactory } from "../backend/backend.ts";
import type { ModelEvaluator } from "../eval/evaluator.ts";
import type { RolloutEngineFactory } from "../sampling/rollout-engine.ts";
import type { CheckpointStoreFactory } from "../train/checkpoint-store.ts";
import type { MetricsSink } from "../train/metrics-sink.ts";
import { type RunHooks, createRunHooks } from "../train/hooks/run-hooks.ts";
import { describeIssues } from "../reward/describe-issues.ts";
import { RewardConfigError } from "../reward/errors.ts";
import { isReward } from "../reward/reward.ts";
import type { Reward } from "../reward/reward.ts";
import { createRewardRunner } from "../reward/runner.ts";
import type { RewardRunner, RewardRunnerOptions, RewardUse } from "../reward/runner.ts";
import type { RewardSource } from "../reward/reward-source.ts";
import { pathToFileURL } from "node:url";
import { rewardUseConfigSchema } from "./config-schema.ts";
import type { RewardUseConfig } from "./config-schema.ts";
import type { StageDefinition, TokenizerFactory } from "./contributions.ts";
import type { RolloutEngineKind } from "../sampling/rollout-engine-kind.ts";
import { CORE_VERSION } from "./core-version.ts";
import { pluginShapeProblem } from "./define-plugin.ts";
import type { Plugin } from "./define-plugin.ts";
import { PluginError, PluginOptionsError, PluginSetupError, PluginVersionError } from "./errors.ts";
import { loadPluginByName } from "./load-plugin.ts";
import type { PluginApi } from "./plugin-api.ts";
import { type RunParts, registerDefaultParts, resolveRunParts } from "./run-parts.ts";
import {
  BACKEND_FACTORY, CHECKPOINT_STORE_FACTORY, LOADED_PLUGINS, METRICS_SINK, MODEL_EVALUATOR, REWARD, ROLLOUT_ENGINE_FACTORY, ROLLOUT_ENGINE_KIND, RUN_CONFIG, RUN_CONTEXT, STAGE,
  TOKENIZER_FACTORY, TRAINER_HOOKS,
} from "./tokens.ts";
import { previewValue } from "../util/preview.ts";

/** A plugin object or name/path, alone or with its options: `plugin`, `"name"`, `[plugin or "name", options]`. */
export type PluginSpec = Plugin | string | readonly [Plugin | string, unknown];

export interface LoadedPlugin {
  readonly name: string;
  readonly version: string;
  /** The parsed options setup received. */
  readonly options: unknown;
  /** How it was listed: "(code)" for a plugin object, else the name or path. */
  readonly source: string;
  /** The file it was loaded from, for plugins listed by name. */
  readonly file?: string;
}

export interface RunContextOptions {
  /** The run's plugins, in setup order. */
  plugins?: readonly PluginSpec[];
  /** Plugins loaded first unless `plugins` lists one with the same name (which then replaces it). */
  builtins?: readonly PluginSpec[];
  /** Where names and relative paths are resolved from (the config file's folder). Default: process.cwd(). */
  baseDir?: string;
  /** The run's config, handed to plugins read-only. */
  config?: unknown;
  warn?: (message: string) => void;
  /** The core version plugins are checked against (tests only). */
  coreVersion?: string;
}

export interface RunContext {
  readonly container: DependencyContainer;
  readonly hooks: RunHooks;
  readonly plugins: readonly LoadedPlugin[];
  readonly rewards: ReadonlyMap<string, Reward<any>>;
  readonly stages: ReadonlyMap<string, StageDefinition>;
  /** The backends this run's plugins registered (the registry finds them given this scope only). */
  readonly backends: ReadonlyMap<string, BackendFactory>;
  readonly tokenizers: ReadonlyMap<string, TokenizerFactory>;
  /** Rollout engine kinds plugins registered, by the name `rollout.engine` gives (besides `local`). */
  readonly rolloutEngineKinds: ReadonlyMap<string, RolloutEngineKind<any>>;
  /** The replaceable parts, resolved from the container after every plugin's setup. */
  readonly parts: RunParts;
  /** A registered reward by name; throws listing the registered ones. */
  reward(name: string): Reward<any>;
  /** A weighted runner over registered rewards, from config entries (names or `{ name, weight, ... }`). */
  createRewardRunner(uses: readonly RewardUseConfig[], options?: RewardRunnerOptions): RewardRunner;
}

interface Prepared {
  plugin: Plugin;
  options: unknown;
  source: string;
  file?: string;
}

export async function createRunContext(options: RunContextOptions = {}): Promise<RunContext> {
  const baseDir = options.baseDir ?? process.cwd();
  const coreVersion = options.coreVersion ?? CORE_VERSION;
  const warn = options.warn ?? ((m: string) => console.warn(m));

  // 1. Load and check every plugin before any setup runs, so a bad list fails before work starts.
  const user = await Promise.all((options.plugins ?? []).map((spec, i) => prepare(spec, `plugins[${i}]`, baseDir)));
  const builtins = await Promise.all((options.builtins ?? []).map((spec, i) => prepare(spec, `builtins[${i}]`, baseDir)));
  const userNames = new Set(user.map((p) => p.plugin.name));
  const prepared = [...builtins.filter((b) => !userNames.has(b.plugin.name)), ...user];
  const seen = new Map<string, string>();
  for (const p of prepared) {
    const earlier = seen.get(p.plugin.name);
    if (earlier !== undefined) throw new PluginError(`plugin "${p.plugin.name}" is listed twice (as ${earlier} and ${p.source}); list it once`);
    seen.set(p.plugin.name, p.source);
    checkCoreRange(p, coreVersion);
    p.options = parseOptions(p);
  }

  // 2. One container per run. Never register into the root container: a child's resolveAll would not
  //    merge with it, and runs must not see each other's registrations.
  const container = rootContainer.createChildContainer();
  const hooks = createRunHooks();
  const loaded: LoadedPlugin[] = prepared.map((p) => Object.freeze({ name: p.plugin.name, version: p.plugin.version, options: p.options, source: p.source, file: p.file }));
  container.register(TRAINER_HOOKS, { useValue: hooks });
  container.register(RUN_CONFIG, { useValue: options.config });
  container.register(LOADED_PLUGINS, { useValue: loaded });
  registerDefaultParts(container);

  const owners = { reward: new Map<string, string>(), stage: new Map<string, string>(), backend: new Map<string, string>(), tokenizer: new Map<string, string>(), part: new Map<string, string>(), rolloutEngineKind: new Map<string, string>() };
  const claim = (kind: keyof typeof owners, name: unknown, plugin: string) => {
    if (typeof name !== "string" || name === "") throw new PluginSetupError(`plugin "${plugin}" registered a ${kind} without a name`);
    const owner = owners[kind].get(name);
    if (owner !== undefined) throw new PluginSetupError(`${kind} "${name}" is registered twice: by plugin "${owner}" and by plugin "${plugin}"; remove one of the plugins`);
    owners[kind].set(name, plugin);
  };

  const rewardSources = new Map<string, RewardSource>();

  // 3. Set up in order.
  for (const p of prepared) {
    const name = p.plugin.name;
    const api: PluginApi = Object.freeze({
      plugin: Object.freeze({ name, version: p.plugin.version }),
      coreVersion,
      hooks,
      container,
      config: options.config,
      registerReward(reward: Reward<any>) {
        if (!isReward(reward)) throw new PluginSetupError(`plugin "${name}" called registerReward with something that is not a reward (make it with defineReward)`);
        claim("reward", reward.name, name);
        // A plugin loaded from a file can be set up again in a reward worker (interruptible rewards).
        if (p.file !== undefined && reward.module === undefined) rewardSources.set(reward.name, { kind: "plugin", url: pathToFileURL(p.file).href, options: p.options, config: options.config });
        container.register(REWARD, { useValue: reward });
      },
      registerStage(stage: StageDefinition) {
        if (typeof stage?.run !== "function") throw new PluginSetupError(`plugin "${name}" registered stage "${stage?.name}" without a run function`);
        claim("stage", stage.name, name);
        container.register(STAGE, { useValue: stage });
      },
      registerBackend(factory: BackendFactory) {
        if (typeof factory?.create !== "function") throw new PluginSetupError(`plugin "${name}" registered backend "${factory?.name}" without a create function`);
        claim("backend", factory.name, name);
        container.register(BACKEND_FACTORY, { useValue: factory });
      },
      registerTokenizer(factory: TokenizerFactory) {
        if (typeof factory?.create !== "function") throw new PluginSetupError(`plugin "${name}" registered tokenizer "${factory?.name}" without a create function`);
        claim("tokenizer", factory.name, name);
        container.register(TOKENIZER_FACTORY, { useValue: factory });
      },
      registerRolloutEngine(factory: RolloutEngineFactory) {
        if (typeof factory?.create !== "function") throw new PluginSetupError(`plugin "${name}" registered rollout engine "${factory?.name}" without a create function`);
        claim("part", "rollout engine", name);
        container.register(ROLLOUT_ENGINE_FACTORY, { useValue: factory });
      },
      registerRolloutEngineKind(kind: RolloutEngineKind<any>) {
        if (typeof kind?.create !== "function") throw new PluginSetupError(`plugin "${name}" registered rollout engine kind "${kind?.name}" without a create function`);
        if (kind.name === "local") throw new PluginSetupError(`plugin "${name}" registered a rollout engine kind named "local", the built-in engine's name; choose another`);
        claim("rolloutEngineKind", kind.name, name);
        container.register(ROLLOUT_ENGINE_KIND, { useValue: kind });
      },
      registerCheckpointStore(factory: CheckpointStoreFactory) {
        if (typeof factory?.create !== "function") throw new PluginSetupError(`plugin "${name}" registered checkpoint store "${factory?.name}" without a create function`);
        claim("part", "checkpoint store", name);
        container.register(CHECKPOINT_STORE_FACTORY, { useValue: factory });
      },
      registerEvaluator(evaluator: ModelEvaluator) {
        if (typeof evaluator?.evaluate !== "function") throw new PluginSetupError(`plugin "${name}" registered evaluator "${evaluator?.name}" without an evaluate function`);
        claim("part", "evaluator", name);
        container.register(MODEL_EVALUATOR, { useValue: evaluator });
      },
      registerMetricsSink(sink: MetricsSink) {
        if (typeof sink?.log !== "function") throw new PluginSetupError(`plugin "${name}" registered metrics sink "${sink?.name}" without a log function`);
        container.register(METRICS_SINK, { useValue: sink });
      },
      warn: (message: string) => warn(`plugin "${name}": ${message}`),
    });
    try {
      await p.plugin.setup(api, p.options);
    } catch (error) {
      if (error instanceof PluginError) throw error;
      throw new PluginSetupError(`plugin "${name}" (${p.source}) failed in setup: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  const byName = <T extends { name: string }>(token: symbol): ReadonlyMap<string, T> =>
    new Map((container.isRegistered(token) ? container.resolveAll<T>(token) : []).map((v) => [v.name, v]));
  const rewards = byName<Reward<any>>(REWARD);

  const context: RunContext = Object.freeze({
    container,
    hooks,
    plugins: Object.freeze(loaded),
    rewards,
    stages: byName<StageDefinition>(STAGE),
    backends: byName<BackendFactory>(BACKEND_FACTORY),
    tokenizers: byName<TokenizerFactory>(TOKENIZER_FACTORY),
    rolloutEngineKinds: byName<RolloutEngineKind<any>>(ROLLOUT_ENGINE_KIND),
    parts: resolveRunParts(container),
    reward: (name: string) => lookupReward(rewards, name, "reward"),
    createRewardRunner(uses: readonly RewardUseConfig[], runnerOptions?: RewardRunnerOptions) {
      return createRewardRunner(uses.map((raw, i): RewardUse => {
        const parsed = rewardUseConfigSchema.safeParse(raw);
        if (!parsed.success) throw new RewardConfigError(`rewards[${i}] is malformed:\n${describeIssues(parsed.error, `rewards[${i}]`)}`);
        const { name, ...rest } = parsed.data;
        const source = rewardSources.get(name);
        return { reward: lookupReward(rewards, name, `rewards[${i}]`), ...rest, ...(source !== undefined ? { source } : {}) };
      }), runnerOptions);
    },
  });
  container.register(RUN_CONTEXT, { useValue: context });
  return context;
}

function lookupReward(rewards: ReadonlyMap<string, Reward<any>>, name: string, where: string): Reward<any> {
  const reward = rewards.get(name);
  if (reward !== undefined) return reward;
  const known = [...rewards.keys()].sort();
  throw new RewardConfigError(`${where}: unknown reward "${name}". Registered: ${known.length > 0 ? known.join(", ") : "(none)"}. Rewards come from plugins: list the plugin that provides it under "plugins".`);
}

async function prepare(spec: PluginSpec, where: string, baseDir: string): Promise<Prepared> {
  const [target, options] = Array.isArray(spec) ? (spec as readonly [Plugin | string, unknown]) : [spec as Plugin | string, undefined];
  if (Array.isArray(spec) && spec.length !== 2) throw new PluginError(`${where}: a plugin with options is [plugin or name, options], got ${spec.length} entries`);
  if (typeof target === "string") {
    const loaded = await loadPluginByName(target, baseDir);
    return { plugin: loaded.plugin, options, source: target, file: loaded.file };
  }
  const problem = pluginShapeProblem(target);
  if (problem !== undefined) throw new PluginError(`${where} is not a plugin: ${problem}`);
  return { plugin: target, options, source: "(code)" };
}

function checkCoreRange(p: Prepared, coreVersion: string): void {
  if (!semver.satisfies(coreVersion, p.plugin.coreRange, { includePrerelease: true })) {
    throw new PluginVersionError(`plugin "${p.plugin.name}" ${p.plugin.version} (${p.source}) needs @r1ts/core ${p.plugin.coreRange}, but this is @r1ts/core ${coreVersion}; install a version of the plugin made for this core`);
  }
}

function parseOptions(p: Prepared): unknown {
  const schema = p.plugin.options;
  if (schema === undefined) {
    const given = p.options;
    if (given !== undefined && !(typeof given === "object" && given !== null && Object.keys(given).length === 0)) {
      throw new PluginOptionsError(`plugin "${p.plugin.name}" takes no options, but was given ${previewValue(given)}`);
    }
    return {};
  }
  const parsed = schema.safeParse(p.options ?? {});
  if (!parsed.success) throw new PluginOptionsError(`plugin "${p.plugin.name}" (${p.source}): invalid options\n${describeIssues(parsed.error, "options")}`);
  return parsed.data;
}
