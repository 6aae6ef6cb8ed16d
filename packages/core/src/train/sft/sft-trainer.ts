/**
 * Supervised fine-tuning (docs/training.md): next-token cross-entropy on completion tokens only (the prompt is
 * masked; `includePrompt` also trains on the prompt, which is plain language-model pre-training). Rows
 * are drawn with replacement by the trainer's seeded generator, right-padded into micro-batches, and
 * `gradientAccumulation` micro-batches make one optimizer step; the loss is the mean over every active
 * token of the step (plus the MoE balance loss for MoE models). The loop, hooks, checkpoints and resume
 * are the Trainer base's; held-out rows add an evaluator of the held-out loss (`eval/loss`).
 */
import { dispose, tidy } from "../../memory.ts";
import { lengthBucket } from "../../generate/captured-decoding.ts";
import { scalar } from "../../ops/creation.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { TransformerLM } from "../../nn/transformer-lm.ts";
import { mul } from "../../ops/elementwise.ts";
import type { MicroBatchLoss } from "../gradient-step.ts";
import { type BatchTensors, type SequenceBatch, type SequenceRow, batchTensors, drawMicroBatches, packSequences, padBatch, rowsProblem } from "../sequence-batch.ts";
import { Trainer, type TrainerParts } from "../trainer.ts";
import { createTrainerHooks } from "../hooks/trainer-hooks.ts";
import { type ResolvedSftConfig, type SftConfig, SftError, resolveSftConfig } from "./sft-options.ts";

export interface SftStepMetrics {
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  stepSeconds: number;
  tokensPerSecond: number;
}

export class SFTTrainer extends Trainer<SftStepMetrics> {
  readonly config: ResolvedSftConfig;

  constructor(
    model: TransformerLM,
    readonly rows: readonly SequenceRow[],
    config: SftConfig,
    readonly evalRows: readonly SequenceRow[] = [],
    parts: TrainerParts = {},
  ) {
    const resolved = resolveSftConfig(config);
    const problem = rowsProblem(rows, model.config.maxSeqLen);
    if (problem) throw new SftError(`sft: ${problem}`);
    super(model, resolved, parts, { kind: "sft", error: SftError, createHooks: createTrainerHooks });
    this.config = resolved;
    if (evalRows.length > 0) this.addEvaluator({ name: "sft-held-out-loss", evaluate: async () => ({ "eval/loss": await this.evalLoss() }) });
  }

  /** One optimizer step over batchSize rows drawn with replacement. */
  protected async runStep(): Promise<SftStepMetrics> {
    const started = performance.now();
    const { batchSize, gradientAccumulation, includePrompt, padId } = this.config;
    const micro = drawMicroBatches(this.rows, this.rng, batchSize, gradientAccumulation, { padId, includePrompt }).filter((m) => m.activeTokens > 0);
    const totalTokens = micro.reduce((n, m) => n + m.activeTokens, 0);
    const lr = this.schedule(this.step);
    const { microBatches, gradNorm } = this.capturing()
      ? await this.capturedUpdate(micro, totalTokens, padId)
      : await this.update(micro, (m) => tidy(() => this.loss(batchTensors(m), m.activeTokens / totalTokens)));
    const stepSeconds = (performance.now() - started) / 1000;
    const loss = microBatches.reduce((a, m) => a + m.loss, 0);
    return { loss, lr, gradNorm, tokens: totalTokens, stepSeconds, tokensPerSecond: totalTokens / stepSeconds };
  }

  /** The update captured as one graph: micro-batches padded to a bucketed width, each share a scalar input. */
  private async capturedUpdate(micro: SequenceBatch[], totalTokens: number, padId: number) {
    const width = Math.min(lengthBucket(Math.max(...micro.map((m) => m.width))), this.model.config.maxSeqLen);
    const tensors = micro.map((m) => ({ ...batchTensors(padBatch(m, width, padId)), share: scalar(m.activeTokens / totalTokens) }));
    try {
      return await this.updateTensors("sft", tensors, (b) => this.loss(b, b.share));
    } finally {
      dispose(tensors);
    }
  }

  /** A micro-batch's masked mean cross-entropy (training forward), weighted by its share of the step's tokens. */
  loss(b: BatchTensors, share: number | Tensor): MicroBatchLoss {
    return { loss: mul(this.model.loss(b.inputs, b.targets, b.mask, this.moeForward), share) };
  }

  /** Mean completion-token cross-entropy over the eval rows (or `rows`), in batches of batchSize. */
  async evalLoss(rows: readonly SequenceRow[] = this.evalRows): Promise<number> {
    const { batchSize, includePrompt, padId } = this.config;
    let total = 0;
    let tokens = 0;
    for (let i = 0; i < rows.length; i += batchSize) {
      const m: SequenceBatch = packSequences(rows.slice(i, i + batchSize), { padId, includePrompt });
      if (m.activeTokens === 0) continue;
      const loss = tidy(() => {
        const t = batchTensors(m);
        return this.model.loss(t.inputs, t.targets, t.mask);
      });
      total += (await loss.data())[0] * m.activeTokens;
      tokens += m.activeTokens;
      loss.dispose();
    }
    return tokens === 0 ? Number.NaN : total / tokens;
  }
}
