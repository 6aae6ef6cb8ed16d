/** Sampling completions for training: GRPO's rollout engines and rejection sampling (SFT data from a model). */
export * from "./rollout-engine.ts";
export * from "./local-rollout-engine.ts";
export * from "./rollout-schedule.ts";
export * from "./rollout-engine-kind.ts";
export * from "./readability.ts";
export * from "./rejection-options.ts";
export * from "./select-samples.ts";
export * from "./rejection-sample.ts";
