/**
 * Runs a trainer inside a stage: resumes it from the interrupted attempt's checkpoint, forwards its hooks
 * to the run's, writes one metrics.jsonl line per step, saves a checkpoint every `checkpointEvery` steps
 * (and after the last), and reports progress. GRPO, SFT and distillation trainers all fit.
 */
import type { TrainerControl } from "../../hooks/trainer-control.ts";
import type { TrainerHooks } from "../../hooks/trainer-hooks.ts";
import type { StageContext } from "../stage.ts";

export interface StageTrainer {
  readonly hooks: TrainerHooks;
  readonly control: TrainerControl;
  step: number;
  readonly history: readonly object[];
  train(): Promise<unknown>;
  save(dir: string, config: unknown): Promise<void>;
  resume(dir: string): Promise<void>;
}

export interface TrainInStageOptions {
  steps: number;
  /** 0 = only the final checkpoint. */
  checkpointEvery: number;
  /** What checkpoints carry as config.json (a bundle config, so a checkpoint is a loadable model). */
  checkpointConfig: () => unknown;
}

export async function trainInStage(ctx: StageContext, trainer: StageTrainer, options: TrainInStageOptions): Promise<void> {
  const { steps, checkpointEvery } = options;
  if (ctx.resumeFrom) {
    await trainer.resume(ctx.resumeFrom);
    await ctx.files.truncateFrom(trainer.step);
    ctx.log(`resumed from ${ctx.resumeFrom} at step ${trainer.step} of ${steps}`);
  }
  ctx.attachTrainer(trainer.hooks);
  trainer.hooks.afterStep.tapPromise("r1ts:stage-files", async ({ step, metrics }) => {
    await ctx.files.appendMetrics({ step, ...metrics });
    ctx.progress({ step, steps, metrics });
    if (checkpointEvery > 0 && (step + 1) % checkpointEvery === 0 && step + 1 < steps) {
      // The checkpoint of step k holds the state before step k runs (k steps done).
      trainer.step = step + 1;
      try {
        await trainer.save(ctx.files.checkpointDir(step + 1), options.checkpointConfig());
      } finally {
        trainer.step = step;
      }
    }
  });
  await trainer.train();
  await trainer.save(ctx.files.checkpointDir(trainer.step), options.checkpointConfig());
}

/** Sums a numeric field over a trainer's history (tokens, seconds). */
export function sumOf(history: readonly object[], key: string): number {
  return history.reduce((a, h) => a + (Number((h as Record<string, unknown>)[key]) || 0), 0);
}
