/**
 * The `pretrain` stage: a new model trained from scratch on a dataset (next-token loss on the prompt and
 * the completion), with a BPE tokenizer learnt from the dataset, or the tokenizer of the optional
 * `tokenizer` input (so that the new model can share a vocabulary with another: logit distillation).
 */
import { z } from "zod";
import { sftOptionsSchema } from "../../train/sft/sft-options.ts";
import type { Tokenizer } from "../../data/tokenizer.ts";
import { tokenIdOf, tokenizerFromSpec } from "../../data/tokenizer-spec.ts";
import { trainBpe } from "../../data/bpe-train.ts";
import { readJsonlDataset, stringColumn } from "../../data/jsonl-dataset.ts";
import { transformerConfig, type TransformerConfigInput } from "../../nn/transformer-config.ts";
import { TransformerLM } from "../../nn/transformer-lm.ts";
import { readBundleConfig } from "../../run/model-bundle.ts";
import { SFTTrainer } from "../../train/sft/sft-trainer.ts";
import { StageError } from "../errors.ts";
import { defineStage } from "../stage.ts";
import { datasetSequenceRows, stepsForEpochs } from "./dataset-rows.ts";
import { STEPS_OR_EPOCHS, stepsOrEpochs, trainLengthSchema } from "./sft-stage.ts";
import { type BundleParts, saveStageModel } from "./stage-models.ts";
import { stageTrainerParts, sumOf, trainInStage } from "./train-in-stage.ts";

const int = (min = 0) => z.number().int().min(min);

export const pretrainStageOptions = sftOptionsSchema.omit({ steps: true, seed: true, padId: true, evalEvery: true, includePrompt: true }).extend({
  ...trainLengthSchema,
  /** The Transformer's config without vocabSize (it comes from the tokenizer): dim, nLayers, nHeads, nKvHeads, interDim, maxSeqLen, ... */
  model: z.record(z.string(), z.unknown()).superRefine((m, ctx) => {
    if ("vocabSize" in m) ctx.addIssue({ code: "custom", message: "leave vocabSize out: it is the tokenizer's" });
    try {
      transformerConfig({ vocabSize: 2, ...m } as unknown as TransformerConfigInput);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  }),
  /** Size of the BPE vocabulary learnt from the dataset (without a tokenizer input). */
  vocabSize: int(2).default(400),
  eosToken: z.string().min(1).default("<|endoftext|>"),
  /** Learn the prompt tokens too (default true: pre-training). */
  includePrompt: z.boolean().default(true),
  promptColumn: z.string().min(1).default("prompt"),
  completionColumn: z.string().min(1).default("completion"),
  seed: int().optional(),
}).strict().refine(stepsOrEpochs, STEPS_OR_EPOCHS);

export const pretrainStage = defineStage({
  name: "pretrain",
  description: "train a new model from scratch on a dataset (a BPE tokenizer learnt from it, or another model's)",
  options: pretrainStageOptions,
  inputs: {
    data: { kind: "dataset", description: "the corpus: prompt and completion columns" },
    tokenizer: { kind: "model", optional: true, description: "a model whose tokenizer the new model uses" },
  },
  outputs: { model: { kind: "model", description: "the pre-trained model" } },
  async run(ctx, o) {
    const seed = o.seed ?? ctx.seed;
    const file = ctx.inputs.data.path;
    let tokenizer: Tokenizer;
    let tokenizerSpec: unknown;
    let eosToken = o.eosToken;
    if (ctx.inputs.tokenizer) {
      const source = await readBundleConfig(ctx.inputs.tokenizer.path);
      tokenizer = await tokenizerFromSpec(source.tokenizer, ctx.runContext.tokenizers, `input "tokenizer" (${ctx.inputs.tokenizer.path}/config.json)`);
      tokenizerSpec = source.tokenizer;
      eosToken = source.eosToken;
    } else {
      const raw = await readJsonlDataset(file);
      const prompts = stringColumn(raw, o.promptColumn, file);
      const completions = stringColumn(raw, o.completionColumn, file);
      const bpe = trainBpe(prompts.map((p, i) => p + completions[i]), { vocabSize: o.vocabSize, specialTokens: [eosToken] });
      tokenizer = bpe;
      tokenizerSpec = bpe.toJSON();
    }
    const eosTokenId = tokenIdOf(tokenizer, eosToken);
    if (eosTokenId === undefined) throw new StageError(ctx.id, ctx.stage, `the end-of-text token ${JSON.stringify(eosToken)} is not in the tokenizer`);
    const model = new TransformerLM({ ...(o.model as object), vocabSize: tokenizer.vocabSize, seed } as TransformerConfigInput);
    const bundle: BundleParts = {
      model,
      tokenizer,
      config: { model: model.config, tokenizer: tokenizerSpec, eosToken, task: ctx.taskConfig, pretraining: { stage: ctx.id, seed } },
    };
    try {
      const { rows } = await datasetSequenceRows(ctx, file, `input "data"`, { model, tokenizer, eosTokenId }, { promptColumn: o.promptColumn, completionColumn: o.completionColumn, template: false });
      const steps = o.steps ?? stepsForEpochs(o.epochs!, rows.length, o.batchSize);
      const { seed: _s, epochs: _e, model: _m, vocabSize: _v, eosToken: _eos, promptColumn: _p, completionColumn: _c, ...sft } = o;
      const trainer = new SFTTrainer(model, rows, { ...sft, steps, seed: seed + 1, padId: eosTokenId, evalEvery: ctx.evalEvery }, [], stageTrainerParts(ctx, bundle));
      ctx.log(`${model.numParameters()} parameters, tokenizer ${tokenizer.vocabSize} tokens, ${rows.length} rows, ${steps} steps`);
      try {
        await trainInStage(ctx, trainer);
        await saveStageModel(ctx, bundle);
        const losses = trainer.history.map((h) => h.loss);
        return {
          metrics: { parameters: model.numParameters(), vocabSize: tokenizer.vocabSize, steps: trainer.step, lossFirst: losses[0] ?? null, lossLast: losses.at(-1) ?? null },
          tokens: { trained: sumOf(trainer.history, "tokens") },
          note: `${model.numParameters()} parameters, ${trainer.step} steps, loss ${losses[0]?.toFixed(3)} -> ${losses.at(-1)?.toFixed(3)}`,
        };
      } finally {
        trainer.dispose();
      }
    } finally {
      model.dispose();
    }
  },
});
