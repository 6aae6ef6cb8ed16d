/**
 * A whole training step as one captured graph: forward, loss, backward (the tape's gradient kernels),
 * gradient accumulation over micro-batches, global-norm clipping and the AdamW update of every
 * parameter and moment. The learning rate and the step number are scalar tensor inputs, so one graph
 * serves every step of a run with the same batch shapes.
 */
import { valueAndGradsOf } from "../autograd/grad.ts";
import { scalar, tensor } from "../ops/creation.ts";
import { add } from "../ops/elementwise.ts";
import type { AdamW } from "../optim/adamw.ts";
import { clipGradNorm } from "../optim/clip-grad-norm.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import { type CompileStats, compile } from "./compile.ts";
import type { Trace } from "./trace.ts";

export interface TrainingStepSpec<B> {
  name?: string;
  /** The trainable parameters (the ones the optimizer updates), in the optimizer's order. */
  parameters: readonly Variable[];
  optimizer: AdamW;
  /**
   * The loss of one micro-batch (a scalar). The step sums micro-batch losses and their gradients, so
   * weight each micro-batch's loss by its share of the step (as the eager trainers do).
   */
  loss: (batch: B) => Tensor;
  /** Clip the global gradient norm to this (0 or undefined: measured only). */
  maxGradNorm?: number;
  /** Replay kernel by kernel instead of as one graph (debugging, parity tests). */
  interpret?: boolean;
}

export interface TrainingStepResult {
  /** The summed loss of the micro-batches (owned by the caller). */
  loss: Tensor;
  /** The global gradient norm before clipping (owned by the caller). */
  gradNorm: Tensor;
}

export interface TrainingStep<B> {
  /** One optimizer step over `microBatches` at learning rate `lr`; counts the step on the optimizer. */
  (microBatches: readonly B[], lr: number): TrainingStepResult;
  stats(): CompileStats;
  traces(): Trace[];
  dispose(): void;
}

export function compileTrainingStep<B>(spec: TrainingStepSpec<B>): TrainingStep<B> {
  const { parameters, optimizer, loss, maxGradNorm } = spec;
  const limit = maxGradNorm && maxGradNorm > 0 ? maxGradNorm : Number.MAX_VALUE;
  const body = (microBatches: readonly B[], lr: Tensor, step: Tensor, corrections: Tensor): TrainingStepResult => {
    let total: Tensor | undefined;
    let grads: Tensor[] | undefined;
    for (const batch of microBatches) {
      const out = valueAndGradsOf(() => loss(batch), parameters);
      total = total ? add(total, out.value) : out.value;
      grads = grads ? grads.map((g, i) => add(g, out.grads[i])) : out.grads;
    }
    if (!total || !grads) throw new RangeError(`${spec.name ?? "trainingStep"}: needs at least one micro-batch`);
    const clipped = clipGradNorm(grads, limit);
    optimizer.update(clipped.grads, { lr, step, corrections });
    return { loss: total, gradNorm: clipped.totalNorm };
  };
  const compiled = compile(body, { name: spec.name ?? "trainingStep", interpret: spec.interpret });
  const backendOf = (): typeof engine.backend => parameters[0]?.backend ?? engine.backend;
  const step = (microBatches: readonly B[], lr: number): TrainingStepResult => {
    const backend = backendOf();
    const lrT = scalar(lr, "f32", backend);
    const stepT = scalar(optimizer.stepCount + 1, "f32", backend);
    const corrections = tensor(optimizer.biasCorrections(), [2], "f32", backend);
    try {
      const out = compiled(microBatches, lrT, stepT, corrections);
      optimizer.countStep(lr);
      return out;
    } finally {
      lrT.dispose();
      stepT.dispose();
      corrections.dispose();
    }
  };
  return Object.assign(step, { stats: compiled.stats, traces: compiled.traces, dispose: compiled.dispose });
}
