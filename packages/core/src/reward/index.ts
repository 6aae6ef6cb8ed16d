/** The reward contract: Reward, defineReward, the weighted runner with timeouts and null handling. */
export * from "./errors.ts";
export * from "./reward.ts";
export * from "./batch.ts";
export * from "./run-reward.ts";
export * from "./runner.ts";
export * from "./metrics.ts";
export { describeIssues } from "./describe-issues.ts";
export * from "./reward-pool.ts";
export * from "./reward-source.ts";
