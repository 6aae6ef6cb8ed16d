/**
 * Plugins a config's rollout engines need: @r1ts/queue (and so BullMQ) is loaded only when a run config's
 * `rollout.engine`, or a pipeline stage's, is `queue`.
 */
import type { PluginSpec } from "@r1ts/core";

export async function rolloutPlugins(config: { rollout?: { engine?: string }; stages?: readonly { options?: unknown }[] }): Promise<PluginSpec[]> {
  const engines = [config.rollout?.engine, ...(config.stages ?? []).map((s) => (s.options as { rollout?: { engine?: string } } | undefined)?.rollout?.engine)];
  if (!engines.includes("queue")) return [];
  return [(await import("@r1ts/queue")).queueRolloutPlugin];
}
