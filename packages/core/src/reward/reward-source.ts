/**
 * Where a reward worker finds the same reward the host has: the module that exports it (a reward made
 * by `defineReward({ ..., module: import.meta.url })`), or the plugin file that registers it, set up
 * again in the worker with the same plugin options. A reward with neither (defined in code and handed
 * over as an object) cannot be rebuilt in another thread, so it runs on the main thread.
 */
export type RewardSource =
  | { readonly kind: "module"; readonly url: string }
  | { readonly kind: "plugin"; readonly url: string; readonly options: unknown; readonly config?: unknown };

/** A stable key for caching a loaded reward in a worker. */
export function rewardSourceKey(source: RewardSource, name: string): string {
  return source.kind === "module" ? `module ${source.url} ${name}` : `plugin ${source.url} ${JSON.stringify(source.options ?? null)} ${name}`;
}
