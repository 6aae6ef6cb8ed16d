/** Trainers: GRPO (loss, advantages, trainer, rollouts) and SFT. */
export * from "./grpo/advantages.ts";
export * from "./grpo/loss.ts";
export * from "./sequence-batch.ts";
export * from "./token-log-probs.ts";
export * from "./completion-batch.ts";
export * from "./completion-log-probs.ts";
export * from "./optimization.ts";
export * from "./sft/sft-trainer.ts";
export * from "./evaluate.ts";
export * from "./rollout/rollout-engine.ts";
export * from "./rollout/local-rollout-engine.ts";
export * from "./grpo/grpo-config.ts";
export * from "./grpo/grpo-trainer.ts";
