/** Trainers: GRPO (loss, advantages, trainer, rollouts) and SFT. */
export * from "./grpo/advantages.ts";
export * from "./grpo/loss.ts";
