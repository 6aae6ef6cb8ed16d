/**
 * What every trainer's update shares: AdamW over a model's parameters (decay on matrices only), the
 * learning-rate schedule, and the options of both, as one zod schema (`optimizationSchema`) that config
 * files and code go through alike, so a default is the same either way.
 */
import { z } from "zod";
import { AdamW } from "../optim/adamw.ts";
import { type LrSchedule, constantSchedule, cosineSchedule, linearSchedule } from "../optim/schedules.ts";
import type { Module } from "../nn/module.ts";

export const SCHEDULE_NAMES = ["constant", "cosine", "linear"] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

const nonNegative = () => z.number().min(0);

export const optimizationSchema = z.object({
  /** Peak learning rate. */
  lr: z.number().positive(),
  /** Floor of the cosine / linear decay. */
  minLr: nonNegative().default(0),
  warmupSteps: z.number().int().min(0).default(0),
  schedule: z.enum(SCHEDULE_NAMES).default("constant"),
  weightDecay: nonNegative().default(0),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.99),
  /** Clip the global gradient norm to this (0: no clipping; the norm is still logged). */
  maxGradNorm: nonNegative().default(1),
});

/** The optimization options as written (defaults optional) and as resolved. */
export type OptimizationConfig = z.input<typeof optimizationSchema>;
export type ResolvedOptimization = z.output<typeof optimizationSchema>;

/** AdamW with decay on matrices only (not norms' gains), as in GPT-2 / Llama recipes. */
export function createOptimizer(model: Module, config: ResolvedOptimization): AdamW {
  return new AdamW(model.namedParameters(), {
    lr: config.lr,
    weightDecay: config.weightDecay,
    beta1: config.beta1,
    beta2: config.beta2,
    decay: (_name, p) => p.rank >= 2,
  });
}

/** The learning rate at each optimizer step of a run of `totalSteps` steps. */
export function createSchedule(config: ResolvedOptimization, totalSteps: number): LrSchedule {
  const { lr, minLr, warmupSteps, schedule } = config;
  if (schedule === "constant") return constantSchedule(lr, { warmupSteps });
  if (schedule === "linear") return linearSchedule({ lr, minLr, warmupSteps, totalSteps });
  return cosineSchedule({ lr, minLr, warmupSteps, totalSteps });
}
