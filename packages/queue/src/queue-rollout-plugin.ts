/**
 * The queue engine as a plugin: registers the rollout engine `queue`, which run configs choose with
 * `rollout: { engine: queue, redis: redis://host:port, ... }` (docs/distributed.md). `r1ts run` loads it
 * by itself when a config names the engine; in code, list `queueRolloutPlugin` among the run's plugins.
 */
import { type RolloutEngineKind, definePlugin } from "@r1ts/core";
import { z } from "zod";
import { QueueConfigError } from "./errors.ts";
import { QueueRewardRunner } from "./engine/queue-reward-runner.ts";
import { QueueRolloutEngine } from "./engine/queue-rollout-engine.ts";
import { DEFAULT_QUEUE } from "./protocol.ts";
import { runWeightStore } from "./weights/open-weight-store.ts";

const int = (min: number) => z.number().int().min(min);

/** The queue engine's options in a `rollout` section (besides engine, maxStaleness, rewardsOn). */
export const queueRolloutOptionsSchema = z.object({
  /** redis://[user:password@]host:port[/db] (rediss:// for TLS): the queue, and the default weight store. */
  redis: z.string().min(1),
  /** The queue name the workers were started with (--queue). */
  queue: z.string().min(1).default(DEFAULT_QUEUE),
  /** Where policy versions go: "redis" (small models), an absolute shared directory, file://, or http(s)://. */
  weights: z.string().min(1).default("redis"),
  /** Prompts per generation job (each with G completions). */
  promptsPerJob: int(1).default(1),
  /** Rows per scoring job with rewardsOn: workers (default: a step's whole batch in one job). */
  rowsPerJob: int(1).optional(),
  /** Policy versions kept in the store (default maxStaleness + 2). */
  keepVersions: int(1).optional(),
  /** Attempts per job on the workers. */
  attempts: int(1).default(3),
  /** Most seconds one step's jobs may take (0 = no limit). */
  timeoutSeconds: z.number().min(0).default(0),
  /** Most seconds Redis may stay unreachable before the run stops (then resume it). */
  redisTimeoutSeconds: z.number().min(0).default(60),
}).strict();

export type QueueRolloutOptions = z.output<typeof queueRolloutOptionsSchema>;

export const queueRolloutEngineKind: RolloutEngineKind<QueueRolloutOptions> = {
  name: "queue",
  description: "generation (and optionally rewards) on r1ts worker processes through BullMQ + Redis",
  options: queueRolloutOptionsSchema,
  async create(ctx, o, rewardsOn) {
    const keepVersions = o.keepVersions ?? ctx.maxStaleness + 2;
    if (keepVersions < ctx.maxStaleness + 1) throw new QueueConfigError(`rollout.keepVersions (${keepVersions}) must be at least maxStaleness + 1 (${ctx.maxStaleness + 1}): workers sample with versions up to maxStaleness steps old`);
    const common = { redis: o.redis, queue: o.queue, run: ctx.runId, attempts: o.attempts, timeoutSeconds: o.timeoutSeconds, redisTimeoutSeconds: o.redisTimeoutSeconds, log: ctx.log };
    const weights = runWeightStore(o.weights, ctx.runId, o.redis);
    const engine = await QueueRolloutEngine.connect({ ...common, policy: ctx.model, tokenizer: ctx.tokenizer, weights, promptsPerJob: o.promptsPerJob, keepVersions });
    let rewards: QueueRewardRunner | undefined;
    try {
      if (rewardsOn === "workers") rewards = await QueueRewardRunner.connect({ ...common, local: ctx.rewards.local, plugins: ctx.rewards.plugins, rewards: ctx.rewards.uses, rowsPerJob: o.rowsPerJob });
    } catch (error) {
      await engine.close();
      throw error;
    }
    ctx.log(`rollouts on queue "${o.queue}" at ${engine.redisDisplay}${rewardsOn === "workers" ? ", rewards on the workers" : ""}; policy versions in ${weights.url}`);
    return {
      engine,
      rewards,
      async close() {
        await engine.close();
        await rewards?.close();
      },
    };
  },
};

export const queueRolloutPlugin = definePlugin({
  name: "@r1ts/queue",
  version: "0.1.0",
  coreRange: "^0.1.0",
  description: "the queue rollout engine (BullMQ + Redis, r1ts worker)",
  setup(api) {
    api.registerRolloutEngineKind(queueRolloutEngineKind);
  },
});
