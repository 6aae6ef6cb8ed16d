/** What SFT and GRPO share: AdamW over a model's parameters, the LR schedule, one clipped update. */
import { type AdamW as AdamWType, AdamW } from "../optim/adamw.ts";
import { clipGradNorm } from "../optim/clip-grad-norm.ts";
import { type LrSchedule, constantSchedule, cosineSchedule, linearSchedule } from "../optim/schedules.ts";
import { dispose, tidy } from "../memory.ts";
import { add } from "../ops/elementwise.ts";
import type { Module } from "../nn/module.ts";
import type { Tensor } from "../tensor/tensor.ts";

export type ScheduleName = "constant" | "cosine" | "linear";

export interface OptimizationConfig {
  lr: number;
  /** Floor of the cosine / linear decay (default 0). */
  minLr?: number;
  warmupSteps?: number;
  schedule?: ScheduleName;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  /** Clip the global gradient norm to this (0 or undefined: no clipping). */
  maxGradNorm?: number;
}

/** AdamW with decay on matrices only (not norms' gains), as in GPT-2 / Llama recipes. */
export function createOptimizer(model: Module, config: OptimizationConfig): AdamWType {
  return new AdamW(model.namedParameters(), {
    lr: config.lr,
    weightDecay: config.weightDecay ?? 0,
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.99,
    decay: (_name, p) => p.rank >= 2,
  });
}

export function createSchedule(config: OptimizationConfig, totalSteps: number): LrSchedule {
  const { lr, minLr = 0, warmupSteps = 0, schedule = "constant" } = config;
  if (schedule === "constant") return constantSchedule(lr, { warmupSteps });
  if (schedule === "linear") return linearSchedule({ lr, minLr, warmupSteps, totalSteps });
  return cosineSchedule({ lr, minLr, warmupSteps, totalSteps });
}

/** Sums gradients by position (gradient accumulation); frees the inputs. */
export function accumulate(total: Tensor[] | undefined, grads: Tensor[]): Tensor[] {
  if (!total) return grads;
  const out = total.map((t, i) => tidy(() => add(t, grads[i])));
  dispose([total, grads]);
  return out;
}

/** Clips (if configured), applies one AdamW step at `lr`, frees `grads`; returns the pre-clip norm. */
export async function applyUpdate(optimizer: AdamWType, grads: Tensor[], lr: number, maxGradNorm: number | undefined): Promise<number> {
  // Without a limit the norm is still measured (for the logs); the scale factor is then 1.
  const clipped = clipGradNorm(grads, maxGradNorm && maxGradNorm > 0 ? maxGradNorm : Number.MAX_VALUE);
  const norm = (await clipped.totalNorm.data())[0];
  optimizer.step(clipped.grads, { lr });
  dispose([clipped.grads, clipped.totalNorm, grads]);
  return norm;
}
