/**
 * Runs a trainer inside a stage: resumes it from the interrupted attempt's checkpoint, forwards its hooks
 * to the run's, writes the run directory's metrics.jsonl and samples.jsonl from its onLog events (and
 * hands them to the run's metrics sinks), and reports progress. The trainer itself checkpoints (every checkpointEvery steps into the stage's store,
 * and after the last) and evaluates (every evalEvery steps): `stageTrainerParts` gives it those parts.
 * GRPO, SFT and distillation trainers all fit: they share the Trainer base.
 */
import type { Evaluator } from "../../eval/evaluator.ts";
import type { TrainerHooks } from "../../train/hooks/trainer-hooks.ts";
import type { Trainer, TrainerParts } from "../../train/trainer.ts";
import type { StageContext } from "../stage.ts";
import { type BundleParts, stageBundleConfig } from "./stage-models.ts";

/** The checkpoint store, checkpoint config and evaluators a trainer of this stage uses. */
export function stageTrainerParts<H extends TrainerHooks>(ctx: StageContext, bundle: BundleParts, evaluator?: Evaluator): TrainerParts<H> {
  return {
    checkpoints: ctx.checkpoints,
    checkpointConfig: () => stageBundleConfig(ctx, bundle),
    evaluators: evaluator ? [evaluator] : [],
    warn: (m) => ctx.log(`warning: ${m}`),
  };
}

export const RUN_DIRECTORY_SINK = "r1ts:run-directory";

export async function trainInStage(ctx: StageContext, trainer: Trainer<object, TrainerHooks>): Promise<void> {
  const { steps } = trainer.loop;
  if (ctx.resumeFrom) {
    await trainer.resume(ctx.resumeFrom);
    await ctx.files.truncateFrom(trainer.step);
    ctx.log(`resumed from ${ctx.resumeFrom} at step ${trainer.step} of ${steps}`);
  }
  ctx.attachTrainer(trainer.hooks);
  trainer.hooks.onLog.tapPromise(RUN_DIRECTORY_SINK, async ({ step, metrics, samples }) => {
    await ctx.files.appendMetrics({ step, ...metrics });
    await ctx.files.appendSamples((samples ?? []).map((s) => ({ step, phase: "train", prompt: s.prompt, completion: s.completion, reward: s.reward ?? null })));
  });
  // The run's other sinks (plugins' loggers) see the same events, tagged with the stage.
  for (const sink of ctx.metricsSinks) trainer.hooks.onLog.tapPromise(`r1ts:sink:${sink.name}`, async (event) => sink.log({ ...event, stage: ctx.id }));
  const firstStep = trainer.step;
  const started = performance.now();
  trainer.hooks.afterStep.tap("r1ts:stage-progress", ({ step, metrics }) => {
    const elapsedSeconds = (performance.now() - started) / 1000;
    const done = step + 1 - firstStep;
    ctx.progress({ step, steps, metrics, elapsedSeconds, etaSeconds: (elapsedSeconds / Math.max(done, 1)) * (steps - step - 1) });
  });
  try {
    await trainer.train();
  } finally {
    for (const sink of ctx.metricsSinks) await sink.close?.();
  }
}

/** Sums a numeric field over a trainer's history (tokens, seconds). */
export function sumOf(history: readonly object[], key: string): number {
  return history.reduce((a, h) => a + (Number((h as Record<string, unknown>)[key]) || 0), 0);
}
