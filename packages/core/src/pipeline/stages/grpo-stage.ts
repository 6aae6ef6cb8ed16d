/** The `grpo` stage: GRPO (docs/grpo-algorithm.md) on a model, with the pipeline's task and the stage's rewards. */
import { join } from "node:path";
import { z } from "zod";
import { rolloutConfigSchema } from "../../sampling/rollout-engine-kind.ts";
import { grpoOptionsSchema } from "../../train/grpo/grpo-options.ts";
import { GRPOTrainer } from "../../train/grpo/grpo-trainer.ts";
import type { GrpoHooks } from "../../train/grpo/grpo-hooks.ts";
import { defineStage } from "../stage.ts";
import { saveStageModel } from "./stage-models.ts";
import { stageRolloutEngine } from "./stage-rollout-engine.ts";
import { stageTrainerParts, sumOf, trainInStage } from "./train-in-stage.ts";

/**
 * GRPO's options; the seed defaults to the pipeline's, and evaluation follows the stage's eval settings.
 * `rollout` chooses the rollout engine (docs/distributed.md) and holds maxStaleness.
 */
export const grpoStageOptions = grpoOptionsSchema.omit({ evalEvery: true, maxStaleness: true, importanceCap: true }).extend({
  seed: z.number().int().min(0).optional(),
  rollout: rolloutConfigSchema.optional(),
}).strict();

export const grpoStage = defineStage({
  name: "grpo",
  description: "GRPO reinforcement learning with rule-based rewards on the pipeline's task",
  options: grpoStageOptions,
  inputs: { model: { kind: "model", description: "the policy to start from" } },
  outputs: { model: { kind: "model", description: "the trained policy" } },
  needs: { task: true, rewards: true },
  async run(ctx, o) {
    const bundle = await ctx.loadModel("model");
    const task = ctx.task();
    const { rollout: rolloutOptions, ...grpo } = o;
    const rollout = rolloutConfigSchema.parse(rolloutOptions ?? {});
    let made: Awaited<ReturnType<typeof stageRolloutEngine>>;
    try {
      made = await stageRolloutEngine(ctx, bundle, rollout, ctx.rewards());
    } catch (error) {
      bundle.model.dispose();
      throw error;
    }
    const trainer = new GRPOTrainer({
      ...stageTrainerParts<GrpoHooks>(ctx, bundle, ctx.heldOutEvaluator(bundle)),
      model: bundle.model, tokenizer: bundle.tokenizer, eosTokenId: bundle.eosTokenId, rewards: made.rewards ?? ctx.rewards(),
      prompts: (rng) => task.sampleTrain(rng),
      config: { ...grpo, seed: o.seed ?? ctx.seed, evalEvery: ctx.evalEvery, maxStaleness: rollout.maxStaleness, importanceCap: rollout.importanceCap },
      rolloutEngine: made.engine,
    });
    try {
      await trainInStage(ctx, trainer);
      if (trainer.lora) {
        // The adapters as a PEFT folder beside the stage's outputs; the output model is the merged policy.
        await trainer.saveAdapters(join(ctx.dir, "adapter"));
        trainer.mergeAdapters();
      }
      await saveStageModel(ctx, bundle);
      const history = trainer.history;
      const last = history.slice(-Math.max(1, Math.floor(history.length / 10)));
      const mean = (xs: readonly Record<string, number>[], k: string) => (xs.length ? xs.reduce((a, h) => a + (h[k] ?? 0), 0) / xs.length : null);
      const rows = o.promptsPerStep * o.groupSize;
      return {
        metrics: { steps: trainer.step, rewardFirst: mean(history.slice(0, last.length), "reward"), rewardLast: mean(last, "reward") },
        tokens: { generated: Math.round(history.reduce((a, h) => a + h["completions/mean_length"] * rows, 0)), trained: sumOf(history, "tokens") * o.numIterations },
        note: `${trainer.step} steps of ${o.promptsPerStep}x${o.groupSize} rollouts`,
      };
    } finally {
      trainer.dispose();
      await made.close();
      bundle.model.dispose();
    }
  },
});
