/**
 * The `distill` stage (R1 paper §2.4): the teacher generates traces through rejection sampling (only
 * correct, readable ones are kept), and the student is fine-tuned on them by SFT; with `logitKl`, the
 * loss also pulls the student's next-token distribution towards the teacher's (they must share a tokenizer).
 */
import { z } from "zod";
import { rejectionSamplingSchema } from "../../sampling/rejection-options.ts";
import { DistillationTrainer } from "../../train/distill/distill-trainer.ts";
import { sftOptionsSchema } from "../../train/sft/sft-options.ts";
import { SFTTrainer } from "../../train/sft/sft-trainer.ts";
import { StageError } from "../errors.ts";
import { defineStage } from "../stage.ts";
import { datasetSequenceRows, stepsForEpochs } from "./dataset-rows.ts";
import { sampleToDataset } from "./rejection-stage.ts";
import { STEPS_OR_EPOCHS, stepsOrEpochs, trainLengthSchema } from "./sft-stage.ts";
import { saveStageModel } from "./stage-models.ts";
import { stageTrainerParts, sumOf, trainInStage } from "./train-in-stage.ts";

const int = (min = 0) => z.number().int().min(min);

export const distillStageOptions = z.object({
  /** How the teacher's traces are sampled and filtered. */
  sampling: rejectionSamplingSchema,
  /** How the student is trained on them: SFT's options (checkpoints too), with its length in steps or epochs. */
  training: sftOptionsSchema.omit({ steps: true, seed: true, padId: true, evalEvery: true, includePrompt: true }).extend({
    ...trainLengthSchema,
  }).strict().refine(stepsOrEpochs, STEPS_OR_EPOCHS),
  /** Logit-level distillation: loss = CE + weight * T^2 * KL(teacher || student); false = plain SFT. */
  logitKl: z.union([z.literal(false), z.object({
    weight: z.number().min(0).default(1),
    temperature: z.number().positive().default(1),
  }).strict()]).default(false),
  seed: int().optional(),
}).strict();

export const distillStage = defineStage({
  name: "distill",
  description: "teacher traces by rejection sampling, then SFT of the student on them (optionally with logit KL)",
  options: distillStageOptions,
  inputs: {
    teacher: { kind: "model", description: "the model whose reasoning is distilled" },
    student: { kind: "model", description: "the model trained on the teacher's traces" },
  },
  outputs: {
    model: { kind: "model", description: "the distilled student" },
    dataset: { kind: "dataset", description: "the teacher traces the student was trained on" },
  },
  needs: { task: true, rewards: true },
  async run(ctx, o) {
    const seed = o.seed ?? ctx.seed;
    const teacher = await ctx.loadModel("teacher");
    let teacherDisposed = false;
    try {
      const sampled = await sampleToDataset(ctx, teacher, { ...o.sampling, seed: o.sampling.seed ?? seed }, "dataset");
      const student = await ctx.loadModel("student");
      try {
        if (o.logitKl) {
          const same = JSON.stringify(teacher.config.tokenizer) === JSON.stringify(student.config.tokenizer) && teacher.config.eosToken === student.config.eosToken;
          if (!same) throw new StageError(ctx.id, ctx.stage, `logitKl needs the teacher and the student to share a tokenizer, but ${ctx.inputs.teacher.producer} has ${teacher.tokenizer.vocabSize} tokens and ${ctx.inputs.student.producer} ${student.tokenizer.vocabSize} (or their vocabularies differ); set logitKl: false to distill by SFT alone`);
        }
        // Traces the student cannot hold (a bigger context, or a longer re-tokenization) are left out.
        const { rows, dropped } = await datasetSequenceRows(ctx, ctx.outputPath("dataset"), "the teacher traces", student, { promptColumn: "prompt", completionColumn: "completion", template: false, dropTooLong: true });
        const { steps: givenSteps, epochs, ...training } = o.training;
        const steps = givenSteps ?? stepsForEpochs(epochs!, rows.length, training.batchSize);
        const common = { ...training, steps, seed, padId: student.eosTokenId, evalEvery: ctx.evalEvery };
        const parts = stageTrainerParts(ctx, student, ctx.heldOutEvaluator(student));
        const trainer = o.logitKl
          ? new DistillationTrainer(student.model, teacher.model, rows, { ...common, klWeight: o.logitKl.weight, temperature: o.logitKl.temperature }, parts)
          : new SFTTrainer(student.model, rows, common, [], parts);
        if (!o.logitKl) {
          teacher.model.dispose();
          teacherDisposed = true;
        }
        try {
          await trainInStage(ctx, trainer);
          await saveStageModel(ctx, student);
          const trained = sumOf(trainer.history, "tokens");
          return {
            metrics: { ...sampled.metrics, droppedTooLong: dropped, steps: trainer.step, lossLast: (trainer.history.at(-1) as { loss?: number } | undefined)?.loss ?? null, teacherForwardTokens: o.logitKl ? trained : 0 },
            tokens: { generated: sampled.tokens?.generated ?? 0, trained },
            note: `${sampled.note}; ${trainer.step} ${o.logitKl ? "SFT+KL" : "SFT"} steps`,
          };
        } finally {
          trainer.dispose();
        }
      } finally {
        student.model.dispose();
      }
    } finally {
      if (!teacherDisposed) teacher.model.dispose();
    }
  },
});
