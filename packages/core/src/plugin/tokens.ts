/**
 * tsyringe injection tokens of a run's container. Everything plugins register goes in under these
 * tokens (`container.resolveAll(REWARD)` gives every reward). Registered with `Symbol.for`, so two
 * copies of @r1ts/core agree on them (but plugins must still share one tsyringe: declare it a peer).
 */
export const REWARD = Symbol.for("r1ts.Reward");
export const STAGE = Symbol.for("r1ts.Stage");
export const BACKEND_FACTORY = Symbol.for("r1ts.BackendFactory");
export const TOKENIZER_FACTORY = Symbol.for("r1ts.TokenizerFactory");
/** Rollout engines a config chooses by name (`rollout: { engine: <name> }`), with their own options. */
export const ROLLOUT_ENGINE_KIND = Symbol.for("r1ts.RolloutEngineKind");
/** The run's TrainerHooks (one set per run). */
export const TRAINER_HOOKS = Symbol.for("r1ts.TrainerHooks");
/** The config the run was created with (may be undefined). */
export const RUN_CONFIG = Symbol.for("r1ts.RunConfig");
/** The LoadedPlugin list, in setup order. */
export const LOADED_PLUGINS = Symbol.for("r1ts.LoadedPlugins");
/** The RunContext itself. */
export const RUN_CONTEXT = Symbol.for("r1ts.RunContext");
/** The parts a plugin may replace (the last registration wins; core registers the defaults first). */
export const ROLLOUT_ENGINE_FACTORY = Symbol.for("r1ts.RolloutEngineFactory");
export const CHECKPOINT_STORE_FACTORY = Symbol.for("r1ts.CheckpointStoreFactory");
export const MODEL_EVALUATOR = Symbol.for("r1ts.ModelEvaluator");
/** Metrics sinks: every registration is used (resolveAll). */
export const METRICS_SINK = Symbol.for("r1ts.MetricsSink");
