/**
 * The numerical half of a training step, with tensor inputs only: for each micro-batch, the forward pass
 * and loss (`lossOf`), the backward pass, the gradients summed over micro-batches (gradient accumulation),
 * then global-norm clipping and one AdamW step. Each trainer supplies its loss (SFT's cross-entropy,
 * GRPO's clipped surrogate, distillation's CE + KL); the host work around it (drawing rows, rollouts,
 * rewards, metrics) stays in the trainer's step. Keeping this part free of host reads is what lets the
 * whole update be captured once and replayed as one graph.
 */
import { valueAndGradsOf } from "../autograd/grad.ts";
import { dispose, keep, tidy } from "../memory.ts";
import { tensor } from "../ops/creation.ts";
import { add, stopGradient } from "../ops/elementwise.ts";
import type { AdamW } from "../optim/adamw.ts";
import { clipGradNorm } from "../optim/clip-grad-norm.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** What one micro-batch's loss function returns. */
export interface MicroBatchLoss {
  /** The scalar differentiated: this micro-batch's share of the step's loss (the shares add up to the step's loss). */
  loss: Tensor;
  /** Scalars to report (read back after the backward pass; no gradient flows through them). */
  metrics?: Record<string, Tensor | undefined>;
}

export interface GradientStepOptions {
  /** The learning rate of this step. */
  lr: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  maxGradNorm: number;
}

export interface GradientStepResult {
  /** Per micro-batch: `loss` and the reported metrics (NaN where a metric was undefined). */
  microBatches: Record<string, number>[];
  /** The global gradient norm before clipping (NaN when no micro-batch was given: no update then). */
  gradNorm: number;
}

export async function gradientStep<M>(
  params: readonly Tensor[],
  optimizer: AdamW,
  microBatches: readonly M[],
  lossOf: (microBatch: M, index: number) => MicroBatchLoss,
  { lr, maxGradNorm }: GradientStepOptions,
): Promise<GradientStepResult> {
  let grads: Tensor[] | undefined;
  const reported: Record<string, number>[] = [];
  for (let i = 0; i < microBatches.length; i++) {
    const names: string[] = [];
    const kept: Tensor[] = [];
    const out = tidy(() => valueAndGradsOf(() => {
      const { loss, metrics = {} } = lossOf(microBatches[i], i);
      names.push("loss");
      kept.push(keep(stopGradient(loss)));
      for (const [name, t] of Object.entries(metrics)) {
        names.push(name);
        kept.push(keep(t ? stopGradient(t) : tensor([Number.NaN])));
      }
      return loss;
    }, params));
    const values = await Promise.all(kept.map(async (t) => (await t.data())[0]));
    dispose([kept, out.value]);
    reported.push(Object.fromEntries(names.map((n, k) => [n, values[k]])));
    grads = accumulate(grads, out.grads);
  }
  const gradNorm = grads ? await applyUpdate(optimizer, grads, lr, maxGradNorm) : Number.NaN;
  return { microBatches: reported, gradNorm };
}

/** Sums gradients by position (gradient accumulation); frees the inputs. */
export function accumulate(total: Tensor[] | undefined, grads: Tensor[]): Tensor[] {
  if (!total) return grads;
  const out = total.map((t, i) => tidy(() => add(t, grads[i])));
  dispose([total, grads]);
  return out;
}

/** Clips (when maxGradNorm > 0), applies one AdamW step at `lr`, frees `grads`; returns the pre-clip norm. */
export async function applyUpdate(optimizer: AdamW, grads: Tensor[], lr: number, maxGradNorm: number | undefined): Promise<number> {
  // Without a limit the norm is still measured (for the logs); the scale factor is then 1.
  const clipped = clipGradNorm(grads, maxGradNorm && maxGradNorm > 0 ? maxGradNorm : Number.MAX_VALUE);
  const norm = (await clipped.totalNorm.data())[0];
  optimizer.step(clipped.grads, { lr });
  dispose([clipped.grads, clipped.totalNorm, grads]);
  return norm;
}
