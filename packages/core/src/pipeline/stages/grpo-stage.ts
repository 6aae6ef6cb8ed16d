/** The `grpo` stage: GRPO (REFERENCE §1) on a model, with the pipeline's task and the stage's rewards. */
import { z } from "zod";
import { grpoSchema } from "../../config/run-config-schema.ts";
import { GRPOTrainer } from "../../train/grpo/grpo-trainer.ts";
import { defineStage } from "../stage.ts";
import { saveStageModel, stageBundleConfig } from "./stage-models.ts";
import { sumOf, trainInStage } from "./train-in-stage.ts";

export const grpoStageOptions = grpoSchema.extend({
  /** Save a checkpoint every this many steps (0 = only the final one); an interrupted stage resumes from it. */
  checkpointEvery: z.number().int().min(0).default(0),
  /** Default: the pipeline's seed. */
  seed: z.number().int().min(0).optional(),
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
    const { checkpointEvery, seed, ...grpo } = o;
    const trainer = new GRPOTrainer({
      model: bundle.model, tokenizer: bundle.tokenizer, eosTokenId: bundle.eosTokenId, rewards: ctx.rewards(),
      prompts: (rng) => task.sampleTrain(rng),
      config: { ...grpo, seed: seed ?? ctx.seed },
    });
    try {
      await trainInStage(ctx, trainer, { steps: o.steps, checkpointEvery, checkpointConfig: () => stageBundleConfig(ctx, bundle) });
      await saveStageModel(ctx, bundle);
      const history = trainer.history;
      const last = history.slice(-Math.max(1, Math.floor(history.length / 10)));
      const mean = (xs: readonly Record<string, number>[], k: string) => (xs.length ? xs.reduce((a, h) => a + (h[k] ?? 0), 0) / xs.length : null);
      const rows = o.promptsPerStep * o.groupSize;
      return {
        metrics: { steps: trainer.step, rewardFirst: mean(history.slice(0, last.length), "reward"), rewardLast: mean(last, "reward") },
        tokens: { generated: Math.round(history.reduce((a, h) => a + h.completionLengthMean * rows, 0)), trained: sumOf(history, "tokens") * o.numIterations },
        note: `${trainer.step} steps of ${o.promptsPerStep}x${o.groupSize} rollouts`,
      };
    } finally {
      trainer.dispose();
      bundle.model.dispose();
    }
  },
});
