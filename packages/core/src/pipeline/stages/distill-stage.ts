/**
 * The `distill` stage (R1 paper §2.4): the teacher generates traces through rejection sampling (only
 * correct, readable ones are kept), and the student is fine-tuned on them by SFT; with `logitKl`, the
 * loss also pulls the student's next-token distribution towards the teacher's (they must share a tokenizer).
 */
import { z } from "zod";
import { optimizationSchema } from "../../config/run-config-schema.ts";
import { SFTTrainer } from "../../train/sft/sft-trainer.ts";
import { DistillationTrainer } from "../distill/distill-trainer.ts";
import { StageError } from "../errors.ts";
import { rejectionSamplingSchema } from "../rejection/rejection-options.ts";
import { defineStage } from "../stage.ts";
import { datasetSequenceRows, stepsForEpochs } from "./dataset-rows.ts";
import { sampleToDataset } from "./rejection-stage.ts";
import { trainLengthSchema } from "./sft-stage.ts";
import { saveStageModel, stageBundleConfig } from "./stage-models.ts";
import { sumOf, trainInStage } from "./train-in-stage.ts";

const int = (min = 0) => z.number().int().min(min);

export const distillStageOptions = z.object({
  /** How the teacher's traces are sampled and filtered. */
  sampling: rejectionSamplingSchema,
  /** How the student is trained on them. */
  training: optimizationSchema.extend({
    ...trainLengthSchema,
    batchSize: int(1),
    gradientAccumulation: int(1).default(1),
  }).strict().refine((o) => (o.steps === undefined) !== (o.epochs === undefined), { message: "give either steps or epochs", path: ["steps"] }),
  /** Logit-level distillation: loss = CE + weight * T^2 * KL(teacher || student); false = plain SFT. */
  logitKl: z.union([z.literal(false), z.object({
    weight: z.number().min(0).default(1),
    temperature: z.number().positive().default(1),
  }).strict()]).default(false),
  checkpointEvery: int().default(0),
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
          const same = JSON.stringify(teacher.tokenizer.toJSON()) === JSON.stringify(student.tokenizer.toJSON()) && teacher.config.eosToken === student.config.eosToken;
          if (!same) throw new StageError(ctx.id, ctx.stage, `logitKl needs the teacher and the student to share a tokenizer, but ${ctx.inputs.teacher.producer} has ${teacher.tokenizer.vocabSize} tokens and ${ctx.inputs.student.producer} ${student.tokenizer.vocabSize} (or their vocabularies differ); set logitKl: false to distill by SFT alone`);
        }
        // Traces the student cannot hold (a bigger context, or a longer re-tokenization) are left out.
        const { rows, dropped } = await datasetSequenceRows(ctx, ctx.outputPath("dataset"), "the teacher traces", student, { promptColumn: "prompt", completionColumn: "completion", template: false, dropTooLong: true });
        const { steps: givenSteps, epochs, ...training } = o.training;
        const steps = givenSteps ?? stepsForEpochs(epochs!, rows.length, training.batchSize);
        const common = { ...training, steps, seed, padId: student.eosTokenId };
        const trainer = o.logitKl
          ? new DistillationTrainer(student.model, teacher.model, rows, { ...common, klWeight: o.logitKl.weight, temperature: o.logitKl.temperature })
          : new SFTTrainer(student.model, rows, { ...common, logEvery: 1 });
        if (!o.logitKl) {
          teacher.model.dispose();
          teacherDisposed = true;
        }
        try {
          await trainInStage(ctx, trainer, { steps, checkpointEvery: o.checkpointEvery, checkpointConfig: () => stageBundleConfig(ctx, student) });
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
