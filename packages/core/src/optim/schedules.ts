/**
 * Learning-rate schedules as pure functions of the 0-based optimizer step (the step about to be taken).
 * Warm-up is linear: lr * (step + 1) / warmupSteps for step < warmupSteps, so the first step already
 * moves and step warmupSteps - 1 reaches the peak. After warm-up, progress p = (step - warmupSteps) /
 * (totalSteps - warmupSteps) runs from 0 to 1 and the rate decays from lr to minLr; past totalSteps it stays at minLr.
 */
export type LrSchedule = (step: number) => number;

export interface WarmupDecayOptions {
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warm-up (default 0). */
  warmupSteps?: number;
  /** Step at which the decay reaches minLr. */
  totalSteps: number;
  /** Final learning rate (default 0). */
  minLr?: number;
}

/** The same rate at every step. */
export function constantSchedule(lr: number, { warmupSteps = 0 } = {}): LrSchedule {
  checkRate("lr", lr);
  checkSteps("warmupSteps", warmupSteps);
  return (step) => warmup(step, warmupSteps, lr) ?? lr;
}

/** Linear warm-up, then linear decay to minLr at totalSteps (HF `get_linear_schedule_with_warmup` with a floor). */
export function linearSchedule(options: WarmupDecayOptions): LrSchedule {
  const { lr, warmupSteps, totalSteps, minLr } = checkWarmupDecay(options);
  return (step) => warmup(step, warmupSteps, lr) ?? minLr + (lr - minLr) * (1 - progress(step, warmupSteps, totalSteps));
}

/** Linear warm-up, then half a cosine down to minLr at totalSteps (SGDR, Loshchilov & Hutter 2017, eq. 5). */
export function cosineSchedule(options: WarmupDecayOptions): LrSchedule {
  const { lr, warmupSteps, totalSteps, minLr } = checkWarmupDecay(options);
  return (step) => warmup(step, warmupSteps, lr) ?? minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress(step, warmupSteps, totalSteps)));
}

function warmup(step: number, warmupSteps: number, lr: number): number | undefined {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`lr schedule: step must be an integer >= 0, got ${step}`);
  return step < warmupSteps ? (lr * (step + 1)) / warmupSteps : undefined;
}

function progress(step: number, warmupSteps: number, totalSteps: number): number {
  if (totalSteps <= warmupSteps) return 1;
  return Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
}

function checkWarmupDecay({ lr, warmupSteps = 0, totalSteps, minLr = 0 }: WarmupDecayOptions): Required<WarmupDecayOptions> {
  checkRate("lr", lr);
  checkRate("minLr", minLr);
  checkSteps("warmupSteps", warmupSteps);
  checkSteps("totalSteps", totalSteps);
  if (minLr > lr) throw new RangeError(`lr schedule: minLr (${minLr}) must not exceed lr (${lr})`);
  if (totalSteps < warmupSteps) throw new RangeError(`lr schedule: totalSteps (${totalSteps}) must be >= warmupSteps (${warmupSteps})`);
  return { lr, warmupSteps, totalSteps, minLr };
}

function checkRate(name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new RangeError(`lr schedule: ${name} must be a finite number >= 0, got ${value}`);
}

function checkSteps(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`lr schedule: ${name} must be an integer >= 0, got ${value}`);
}
