/**
 * Per-token log-probabilities log p(target | prefix) of a causal LM, through the fused cross-entropy
 * (log p = -CE), and optionally the entropy of each next-token distribution (for metrics: no gradient).
 */
import { crossEntropy } from "../ops/fused/index.ts";
import { exp, mul, neg } from "../ops/elementwise.ts";
import { reshape } from "../ops/layout.ts";
import { sum } from "../ops/reduce.ts";
import { logSoftmax } from "../ops/softmax.ts";
import { noGrad, tidy } from "../memory.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** A model that maps tokens [B, S] to logits [B, S, V] (TransformerLM). */
export interface CausalLM {
  readonly config: { readonly vocabSize: number; readonly maxSeqLen: number };
  forward(tokens: Tensor): Tensor;
}

export interface TokenLogProbs {
  /** [B, S] */
  logProbs: Tensor;
  /** [B, S], without gradient; only when asked for. */
  entropy?: Tensor;
}

/** Of a model's plain forward pass (no MoE load counting): what the frozen old / reference passes use. */
export function tokenLogProbs(model: CausalLM, inputs: Tensor, targets: Tensor, { entropy = false } = {}): TokenLogProbs {
  return tidy(() => logProbsOfLogits(model.forward(inputs), targets, { entropy }));
}

/** Of given logits [B, S, V] (a training forward's). */
export function logProbsOfLogits(logits3: Tensor, targets: Tensor, { entropy = false } = {}): TokenLogProbs {
  return tidy(() => {
    const [b, s, v] = logits3.shape;
    const logits = reshape(logits3, [b * s, v]);
    const logProbs = reshape(neg(crossEntropy(logits, reshape(targets, [b * s]))), [b, s]);
    if (!entropy) return { logProbs };
    const h = noGrad(() => {
      const lp = logSoftmax(logits, -1);
      return reshape(neg(sum(mul(exp(lp), lp), -1)), [b, s]);
    });
    return { logProbs, entropy: h };
  });
}
