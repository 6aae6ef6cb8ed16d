/**
 * SFT of a student on teacher traces with the logit-level KL term of `distillationLoss` (teacher and
 * student share a tokenizer; docs/distillation.md). Rows are drawn like the SFT trainer's; the loop,
 * hooks, checkpoints and resume are the Trainer base's. On a graph backend (onnx) the update, teacher
 * forward included, is captured as one graph per bucketed batch width, like SFT's.
 */
import { lengthBucket } from "../../generate/captured-decoding.ts";
import { dispose, noGrad, tidy } from "../../memory.ts";
import type { TransformerLM } from "../../nn/transformer-lm.ts";
import { scalar } from "../../ops/creation.ts";
import { add } from "../../ops/elementwise.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { MicroBatchLoss } from "../gradient-step.ts";
import { createTrainerHooks } from "../hooks/trainer-hooks.ts";
import { type BatchTensors, type SequenceBatch, type SequenceRow, batchTensors, drawMicroBatches, padBatch, rowsProblem } from "../sequence-batch.ts";
import { Trainer, type TrainerParts } from "../trainer.ts";
import { type DistillationConfig, DistillationError, type ResolvedDistillationConfig, resolveDistillationConfig } from "./distill-options.ts";
import { distillationLoss } from "./logit-kl.ts";

export interface DistillationStepMetrics {
  loss: number;
  ce: number;
  kl: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  stepSeconds: number;
  tokensPerSecond: number;
}

export class DistillationTrainer extends Trainer<DistillationStepMetrics> {
  readonly config: ResolvedDistillationConfig;

  constructor(
    model: TransformerLM,
    readonly teacher: TransformerLM,
    readonly rows: readonly SequenceRow[],
    config: DistillationConfig,
    parts: TrainerParts = {},
  ) {
    const resolved = resolveDistillationConfig(config);
    if (teacher.config.vocabSize !== model.config.vocabSize) {
      throw new DistillationError(`logit distillation needs one vocabulary: the teacher has ${teacher.config.vocabSize} tokens, the student ${model.config.vocabSize}`);
    }
    const problem = rowsProblem(rows, Math.min(model.config.maxSeqLen, teacher.config.maxSeqLen));
    if (problem) throw new DistillationError(`distill: ${problem}`);
    super(model, resolved, parts, { kind: "distill", error: DistillationError, createHooks: createTrainerHooks });
    this.config = resolved;
  }

  protected async runStep(): Promise<DistillationStepMetrics> {
    const started = performance.now();
    const { batchSize, gradientAccumulation, padId } = this.config;
    const micro = drawMicroBatches(this.rows, this.rng, batchSize, gradientAccumulation, { padId }).filter((m) => m.activeTokens > 0);
    const totalTokens = micro.reduce((n, m) => n + m.activeTokens, 0);
    const lr = this.schedule(this.step);
    const { microBatches, gradNorm } = this.capturing()
      ? await this.capturedUpdate(micro, totalTokens, padId)
      : await this.update(micro, (m) => tidy(() => this.loss(batchTensors(m), totalTokens)));
    const sum = (k: string) => microBatches.reduce((a, m) => a + m[k], 0);
    const stepSeconds = (performance.now() - started) / 1000;
    return { loss: sum("loss"), ce: sum("ce"), kl: sum("kl"), lr, gradNorm, tokens: totalTokens, stepSeconds, tokensPerSecond: totalTokens / stepSeconds };
  }

  /** The update captured as one graph: micro-batches padded to a bucketed width, the step's token count a scalar input. */
  private async capturedUpdate(micro: SequenceBatch[], totalTokens: number, padId: number) {
    const maxSeqLen = Math.min(this.model.config.maxSeqLen, this.teacher.config.maxSeqLen);
    const width = Math.min(lengthBucket(Math.max(...micro.map((m) => m.width))), maxSeqLen);
    const tensors = micro.map((m) => ({ ...batchTensors(padBatch(m, width, padId)), total: scalar(totalTokens) }));
    try {
      return await this.updateTensors("distill", tensors, (b) => this.loss(b, b.total));
    } finally {
      dispose(tensors);
    }
  }

  /**
   * CE + klWeight T^2 KL(teacher || student) of a micro-batch, as sums over its tokens divided by the step's
   * `totalTokens` (so the micro-batches add up to the step's mean), plus the MoE balance loss.
   */
  loss(b: BatchTensors, totalTokens: number | Tensor): MicroBatchLoss {
    const teacherLogits = noGrad(() => this.teacher.forward(b.inputs));
    const { logits, auxLoss } = this.model.forwardWithAux(b.inputs, this.moeForward);
    const parts = distillationLoss(logits, teacherLogits, b.targets, b.mask, totalTokens, this.config);
    return { loss: auxLoss ? add(parts.loss, auxLoss) : parts.loss, metrics: { ce: parts.ce, kl: parts.kl } };
  }
}
