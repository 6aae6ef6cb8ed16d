/**
 * @r1ts/queue: GRPO past one machine. A rollout engine on BullMQ + Redis (generation on `r1ts worker`
 * processes anywhere), rewards scored on the workers, weight stores for the policy versions (directory,
 * HTTP, Redis), and the worker itself.
 */
export * from "./errors.ts";
export * from "./protocol.ts";
export { parseRedisUrl } from "./connection.ts";
export * from "./weights/weight-store.ts";
export * from "./weights/directory-store.ts";
export * from "./weights/http-store.ts";
export * from "./weights/redis-store.ts";
export * from "./weights/serve-weight-store.ts";
export * from "./weights/open-weight-store.ts";
export * from "./engine/queue-client.ts";
export * from "./engine/queue-rollout-engine.ts";
export * from "./engine/queue-reward-runner.ts";
export * from "./worker/policy-cache.ts";
export * from "./worker/rollout-worker.ts";
export * from "./queue-rollout-plugin.ts";
