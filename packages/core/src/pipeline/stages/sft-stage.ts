/**
 * The `sft` stage: supervised fine-tuning of a model on a dataset's completions (prompt tokens masked;
 * docs/training.md). With an `evalData` dataset, the held-out completion loss is measured before and after
 * (and every evalEvery steps, as `eval/loss`).
 */
import { z } from "zod";
import { sftOptionsSchema } from "../../train/sft/sft-options.ts";
import { SFTTrainer } from "../../train/sft/sft-trainer.ts";
import { defineStage } from "../stage.ts";
import { datasetSequenceRows, stepsForEpochs } from "./dataset-rows.ts";
import { saveStageModel } from "./stage-models.ts";
import { stageTrainerParts, sumOf, trainInStage } from "./train-in-stage.ts";

const int = (min = 0) => z.number().int().min(min);

/** How long to train: `steps`, or `epochs` over the dataset (R1 trained 2 epochs on its rejection-sampled data). */
export const trainLengthSchema = {
  steps: int(0).optional(),
  epochs: z.number().positive().optional(),
};

/** The check that goes with trainLengthSchema. */
export const stepsOrEpochs = (o: { steps?: number; epochs?: number }): boolean => (o.steps === undefined) !== (o.epochs === undefined);
export const STEPS_OR_EPOCHS = { message: "give either steps or epochs", path: ["steps"] };

/** Where a dataset's prompt and completion are, and what to do with rows longer than the model's context. */
export const datasetColumnsSchema = {
  promptColumn: z.string().min(1).default("prompt"),
  completionColumn: z.string().min(1).default("completion"),
  /** Put the prompt column into the R1-Zero template (for datasets of bare questions). */
  template: z.boolean().default(false),
  /** Render the prompt column (a text or a conversation) with the model's chat template (Hugging Face models). */
  chat: z.boolean().default(false),
  /** Leave out rows longer than the model's context (default: fail, naming the row). */
  dropTooLong: z.boolean().default(false),
  /** A Hugging Face dataset folder as `data`: its split (default "train") and config (subset) folder. */
  split: z.string().min(1).default("train"),
  subset: z.string().min(1).optional(),
  /** The split of an `evalData` folder (default "test"). */
  evalSplit: z.string().min(1).default("test"),
};

/** SFT's options (batch, optimization, checkpoints), its length in steps or epochs, and the dataset's columns. */
export const sftStageOptions = sftOptionsSchema.omit({ steps: true, seed: true, padId: true, evalEvery: true }).extend({
  ...trainLengthSchema,
  ...datasetColumnsSchema,
  seed: int().optional(),
}).strict().refine(stepsOrEpochs, STEPS_OR_EPOCHS);

export const sftStage = defineStage({
  name: "sft",
  description: "supervised fine-tuning on a dataset's completions (cold start, SFT on rejection-sampled data)",
  options: sftStageOptions,
  inputs: {
    model: { kind: "model", description: "the model to fine-tune" },
    data: { kind: "dataset", description: "rows with a prompt and a completion column (JSONL or Parquet, or a Hugging Face dataset folder)" },
    evalData: { kind: "dataset", optional: true, description: "held-out rows: their completion loss is measured before and after" },
  },
  outputs: { model: { kind: "model", description: "the fine-tuned model" } },
  async run(ctx, o) {
    const bundle = await ctx.loadModel("model");
    try {
      const { rows, dropped } = await datasetSequenceRows(ctx, ctx.inputs.data.path, `input "data"`, bundle, o);
      const evalRows = ctx.inputs.evalData ? (await datasetSequenceRows(ctx, ctx.inputs.evalData.path, `input "evalData"`, bundle, { ...o, split: o.evalSplit, dropTooLong: true, skipIncomplete: true })).rows : [];
      const steps = o.steps ?? stepsForEpochs(o.epochs!, rows.length, o.batchSize);
      const { seed, epochs: _e, promptColumn: _p, completionColumn: _c, template: _t, chat: _chat, dropTooLong: _d, split: _s, subset: _sub, evalSplit: _es, ...sft } = o;
      const trainer = new SFTTrainer(bundle.model, rows, { ...sft, steps, seed: seed ?? ctx.seed, padId: bundle.eosTokenId, evalEvery: ctx.evalEvery }, evalRows, stageTrainerParts(ctx, bundle, ctx.heldOutEvaluator(bundle)));
      try {
        // The input model's held-out loss (a resumed attempt restores its checkpoint only inside trainInStage).
        const evalLossBefore = evalRows.length > 0 ? await trainer.evalLoss() : undefined;
        await trainInStage(ctx, trainer);
        const evalLossAfter = evalRows.length > 0 ? await trainer.evalLoss() : undefined;
        await saveStageModel(ctx, bundle);
        const losses = trainer.history.map((h) => h.loss);
        const evalLoss: Record<string, number> = evalRows.length > 0 ? { evalLossBefore: evalLossBefore!, evalLossAfter: evalLossAfter! } : {};
        return {
          metrics: { steps: trainer.step, rows: rows.length, droppedTooLong: dropped, lossFirst: losses[0] ?? null, lossLast: losses.at(-1) ?? null, ...evalLoss },
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

