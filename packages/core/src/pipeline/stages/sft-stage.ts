/** The `sft` stage: supervised fine-tuning of a model on a dataset's completions (prompt tokens masked). */
import { z } from "zod";
import { optimizationSchema } from "../../config/run-config-schema.ts";
import { SFTTrainer } from "../../train/sft/sft-trainer.ts";
import { defineStage } from "../stage.ts";
import { datasetSequenceRows, stepsForEpochs } from "./dataset-rows.ts";
import { saveStageModel, stageBundleConfig } from "./stage-models.ts";
import { sumOf, trainInStage } from "./train-in-stage.ts";

const int = (min = 0) => z.number().int().min(min);

/** How long to train: `steps`, or `epochs` over the dataset (R1 trained 2 epochs on its rejection-sampled data). */
export const trainLengthSchema = {
  steps: int(0).optional(),
  epochs: z.number().positive().optional(),
};

export const sftStageOptions = optimizationSchema.extend({
  ...trainLengthSchema,
  batchSize: int(1),
  gradientAccumulation: int(1).default(1),
  includePrompt: z.boolean().default(false),
  promptColumn: z.string().min(1).default("prompt"),
  completionColumn: z.string().min(1).default("completion"),
  /** Put the prompt column into the R1-Zero template (for datasets of bare questions). */
  template: z.boolean().default(false),
  /** Leave out rows longer than the model's context (default: fail, naming the row). */
  dropTooLong: z.boolean().default(false),
  checkpointEvery: int().default(0),
  seed: int().optional(),
}).strict().refine((o) => (o.steps === undefined) !== (o.epochs === undefined), { message: "give either steps or epochs", path: ["steps"] });

export const sftStage = defineStage({
  name: "sft",
  description: "supervised fine-tuning on a dataset's completions (cold start, SFT on rejection-sampled data)",
  options: sftStageOptions,
  inputs: {
    model: { kind: "model", description: "the model to fine-tune" },
    data: { kind: "dataset", description: "JSONL rows with a prompt and a completion column" },
  },
  outputs: { model: { kind: "model", description: "the fine-tuned model" } },
  async run(ctx, o) {
    const bundle = await ctx.loadModel("model");
    try {
      const { rows, dropped } = await datasetSequenceRows(ctx, ctx.inputs.data.path, `input "data"`, bundle, o);
      const steps = o.steps ?? stepsForEpochs(o.epochs!, rows.length, o.batchSize);
      const { checkpointEvery, seed, epochs: _e, promptColumn: _p, completionColumn: _c, template: _t, dropTooLong: _d, ...sft } = o;
      const trainer = new SFTTrainer(bundle.model, rows, { ...sft, steps, seed: seed ?? ctx.seed, padId: bundle.eosTokenId, logEvery: 1 });
      try {
        await trainInStage(ctx, trainer, { steps, checkpointEvery, checkpointConfig: () => stageBundleConfig(ctx, bundle) });
        await saveStageModel(ctx, bundle);
        const losses = trainer.history.map((h) => h.loss);
        return {
          metrics: { steps: trainer.step, rows: rows.length, droppedTooLong: dropped, lossFirst: losses[0] ?? null, lossLast: losses.at(-1) ?? null },
          tokens: { trained: sumOf(trainer.history, "tokens") },
          note: `${trainer.step} steps on ${rows.length} rows (${((trainer.step * o.batchSize) / rows.length).toFixed(1)} epochs)`,
        };
      } finally {
        trainer.dispose();
      }
    } finally {
      bundle.model.dispose();
    }
  },
});
