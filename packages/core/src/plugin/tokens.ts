/**
 * tsyringe injection tokens of a run's container. Everything plugins register goes in under these
 * tokens (`container.resolveAll(REWARD)` gives every reward). Registered with `Symbol.for`, so two
 * copies of @r1ts/core agree on them (but plugins must still share one tsyringe: declare it a peer).
 */
export const REWARD = Symbol.for("r1ts.Reward");
export const STAGE = Symbol.for("r1ts.Stage");
export const BACKEND_FACTORY = Symbol.for("r1ts.BackendFactory");
export const TOKENIZER_FACTORY = Symbol.for("r1ts.TokenizerFactory");
/** Rollout engines by name (`rollout.engine` in a run config). */
export const ROLLOUT_ENGINE_FACTORY = Symbol.for("r1ts.RolloutEngineFactory");
/** The run's TrainerHooks (one set per run). */
export const TRAINER_HOOKS = Symbol.for("r1ts.TrainerHooks");
/** The config the run was created with (may be undefined). */
export const RUN_CONFIG = Symbol.for("r1ts.RunConfig");
/** The LoadedPlugin list, in setup order. */
export const LOADED_PLUGINS = Symbol.for("r1ts.LoadedPlugins");
/** The RunContext itself. */
export const RUN_CONTEXT = Symbol.for("r1ts.RunContext");
