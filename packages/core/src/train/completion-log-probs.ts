/**
 * Per-token log-probabilities of completion tokens at the sampling temperature: log softmax(z / T)[y]
 * (TRL's convention: the trainer's log-probs describe the distribution the rollouts were drawn from,
 * so the importance ratio against the sampler's is 1 when the weights are the same). The output head
 * runs only on the hidden states that predict a completion token (see completion-batch.ts), and the
 * entropy of those distributions comes along when asked: detached for metrics and entropy masking,
 * or differentiable for an entropy bonus.
 */
import { crossEntropy } from "../ops/fused/index.ts";
import { add, div, exp, mul, neg } from "../ops/elementwise.ts";
import { gather } from "../ops/indexing.ts";
import { reshape } from "../ops/layout.ts";
import { sum } from "../ops/reduce.ts";
import { logSoftmax } from "../ops/softmax.ts";
import { noGrad, tidy } from "../memory.ts";
import { ShapeError } from "../errors.ts";
import type { MoEForwardOptions } from "../nn/moe.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** A causal LM split into its body (tokens -> hidden states) and output head (TransformerLM fits). */
export interface HiddenStateLM {
  readonly config: { readonly vocabSize: number; readonly dim: number };
  hiddenStates(tokens: Tensor, moe?: MoEForwardOptions): Tensor;
  head(h: Tensor): Tensor;
}

/** A CompletionBatch's arrays as tensors. */
export interface CompletionTensors {
  /** i32 [B, width] */
  inputs: Tensor;
  /** i32 [B * completionWidth] */
  positions: Tensor;
  /** i32 [B, completionWidth] */
  targets: Tensor;
}

export interface CompletionLogProbsOptions {
  /** The sampling temperature T (> 0); default 1. */
  temperature?: number;
  /** Also return the entropy of each next-token distribution at T: "detached" (no gradient) or "differentiable". */
  entropy?: false | "detached" | "differentiable";
  /** What the body's MoE layers do (a training forward counts loads, and its balance loss comes back as `auxLoss`). */
  moe?: Omit<MoEForwardOptions, "auxLosses">;
}

export interface CompletionLogProbs {
  /** [B, completionWidth] */
  logProbs: Tensor;
  /** [B, completionWidth], when asked for. */
  entropy?: Tensor;
  /** The MoE layers' summed balance loss (a scalar), when `moe` was given and the model has one. */
  auxLoss?: Tensor;
}

export function completionLogProbs(model: HiddenStateLM, t: CompletionTensors, { temperature = 1, entropy = false, moe }: CompletionLogProbsOptions = {}): CompletionLogProbs {
  if (!(Number.isFinite(temperature) && temperature > 0)) throw new ShapeError(`completionLogProbs: temperature must be a finite number > 0, got ${temperature}`);
  const [b, tc] = t.targets.shape;
  if (t.positions.size !== b * tc) throw new ShapeError(`completionLogProbs: ${t.positions.size} positions for ${b} x ${tc} completion tokens`);
  return tidy(() => {
    const [rows, width] = t.inputs.shape;
    const aux: Tensor[] = [];
    const h = reshape(model.hiddenStates(t.inputs, moe ? { ...moe, auxLosses: aux } : undefined), [rows * width, model.config.dim]);
    let logits = model.head(gather(h, t.positions));
    if (temperature !== 1) logits = div(logits, temperature);
    const out: CompletionLogProbs = { logProbs: reshape(neg(crossEntropy(logits, reshape(t.targets, [b * tc]))), [b, tc]) };
    if (aux.length > 0) out.auxLoss = aux.reduce((x, y) => add(x, y));
    if (!entropy) return out;
    const h2 = (): Tensor => {
      const lp = logSoftmax(logits, -1);
      return reshape(neg(sum(mul(exp(lp), lp), -1)), [b, tc]);
    };
    out.entropy = entropy === "detached" ? noGrad(h2) : h2();
    return out;
  });
}
