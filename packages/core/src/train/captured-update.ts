/**
 * The numerical update of a training step captured as one graph (compile/): every micro-batch's forward
 * and loss, the backward pass, gradients summed over micro-batches, global-norm clipping and the AdamW
 * update of every parameter and moment, with the learning rate and the step number as scalar inputs.
 * Micro-batches are given as tensors (everything that changes between steps: tokens, masks, advantages,
 * old/reference log-probs, per-step weights), so one graph per shape serves the whole run; the trainers
 * pad their batches to bucketed widths (`padBatch`) so a run builds a handful of graphs.
 *
 * A loss that cannot be captured (MoE routing reads the chosen experts back to the host) is run eagerly
 * from then on, and the reason is kept in `fallbacks`.
 */
import { valueAndGradsOf } from "../autograd/grad.ts";
import { type CompiledFunction, compile } from "../compile/compile.ts";
import { CaptureError } from "../compile/errors.ts";
import { dispose, keep, tidy } from "../memory.ts";
import { scalar, tensor } from "../ops/creation.ts";
import { add, stopGradient } from "../ops/elementwise.ts";
import type { AdamW } from "../optim/adamw.ts";
import { clipGradNorm } from "../optim/clip-grad-norm.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type GradientStepResult, type MicroBatchLoss, gradientStep } from "./gradient-step.ts";

type Body = (microBatches: readonly unknown[], lr: Tensor, step: Tensor, corrections: Tensor) => { losses: Record<string, Tensor>[]; gradNorm: Tensor };

export class CapturedUpdates {
  private readonly compiled = new Map<string, CompiledFunction<[readonly unknown[], Tensor, Tensor, Tensor], ReturnType<Body>>>();
  /** The loss of the update being traced (read only while a graph is traced). */
  private lossOf: ((microBatch: unknown) => MicroBatchLoss) | undefined;
  /** Keys whose loss could not be captured, with the reason. */
  readonly fallbacks = new Map<string, string>();

  constructor(
    private readonly params: () => readonly Tensor[],
    private readonly optimizer: AdamW,
  ) {}

  /**
   * One optimizer step. `key` names the loss (one compiled function per key: the same key must always
   * mean the same computation of the tensors it is given); `microBatches` hold tensors only.
   */
  async run<T>(key: string, microBatches: readonly T[], lossOf: (microBatch: T) => MicroBatchLoss, { lr, maxGradNorm }: { lr: number; maxGradNorm: number }): Promise<GradientStepResult> {
    if (this.fallbacks.has(key) || microBatches.length === 0) return gradientStep(this.params(), this.optimizer, microBatches, (m) => lossOf(m), { lr, maxGradNorm });
    const fn = this.compiledFor(key, maxGradNorm);
    const backend = this.params()[0].backend;
    const lrT = scalar(lr, "f32", backend);
    const stepT = scalar(this.optimizer.stepCount + 1, "f32", backend);
    const corrections = tensor(this.optimizer.biasCorrections(), [2], "f32", backend);
    let out: ReturnType<Body>;
    this.lossOf = lossOf as (m: unknown) => MicroBatchLoss;
    try {
      out = fn(microBatches, lrT, stepT, corrections);
    } catch (error) {
      if (!(error instanceof CaptureError)) throw error;
      this.fallbacks.set(key, error.message);
      return gradientStep(this.params(), this.optimizer, microBatches, (m) => lossOf(m), { lr, maxGradNorm });
    } finally {
      this.lossOf = undefined;
      dispose([lrT, stepT, corrections]);
    }
    this.optimizer.countStep(lr);
    const read = async (t: Tensor): Promise<number> => (await t.data())[0];
    const reported = await Promise.all(out.losses.map(async (m) => Object.fromEntries(await Promise.all(Object.entries(m).map(async ([k, t]) => [k, await read(t)] as const)))));
    const gradNorm = await read(out.gradNorm);
    dispose(out);
    return { microBatches: reported, gradNorm };
  }

  /** Stats of the compiled updates (graphs, build times, runs). */
  stats() {
    return [...this.compiled.values()].map((f) => f.stats());
  }

  dispose(): void {
    for (const f of this.compiled.values()) f.dispose();
    this.compiled.clear();
  }

  private compiledFor(key: string, maxGradNorm: number) {
    const full = `${key}|clip=${maxGradNorm}`;
    let fn = this.compiled.get(full);
    if (fn) return fn;
    const limit = maxGradNorm > 0 ? maxGradNorm : Number.MAX_VALUE;
    const body: Body = (microBatches, lr, step, corrections) => {
      const lossOf = this.lossOf;
      if (!lossOf) throw new CaptureError(`update "${key}": traced without a loss`);
      const losses: Record<string, Tensor>[] = [];
      let grads: Tensor[] | undefined;
      for (const m of microBatches) {
        const reported: Record<string, Tensor> = {};
        const out = valueAndGradsOf(() => {
          const { loss, metrics = {} } = lossOf(m);
          reported.loss = keep(stopGradient(loss));
          for (const [name, t] of Object.entries(metrics)) reported[name] = keep(t ? stopGradient(t) : scalar(Number.NaN));
          return loss;
        }, this.params());
        losses.push(reported);
        grads = grads ? grads.map((g, i) => tidy(() => add(g, out.grads[i]))) : out.grads;
      }
      const clipped = clipGradNorm(grads!, limit);
      this.optimizer.update(clipped.grads, { lr, step, corrections });
      return { losses, gradNorm: clipped.totalNorm };
    };
    fn = compile(body, { name: `update(${key})` });
    this.compiled.set(full, fn);
    return fn;
  }
}
