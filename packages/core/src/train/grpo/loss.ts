/**
 * GRPO's objective (DeepSeekMath eq. 3, as a loss to minimise) per completion token t:
 *
 *   rho_t = exp(logp_t - logp_old_t)                                   (logp_old detached)
 *   l_t   = -min(rho_t A, clamp(rho_t, 1 - epsLow, 1 + epsHigh) A) + beta kl_t
 *   kl_t  = exp(ref_t - logp_t) - (ref_t - logp_t) - 1                 (k3 estimator, eq. 4; >= 0)
 *
 * aggregated over the completion mask m by `lossType` (docs/grpo-algorithm.md): grpo (per-sequence mean, then mean
 * over sequences), bnpo (mean over the batch's active tokens), dr_grpo (sum / (sequences x
 * maxCompletionLength)), dapo (sum / active tokens of the whole accumulated batch).
 */
import { R1tsError } from "../../errors.ts";
import { add, cast, clamp, div, exp, greater, less, maximum, minimum, mul, neg, stopGradient, sub } from "../../ops/elementwise.ts";
import { reshape } from "../../ops/layout.ts";
import { sum } from "../../ops/reduce.ts";
import { tidy } from "../../memory.ts";
import { formatShape, shapesEqual } from "../../tensor/shape.ts";
import type { Tensor } from "../../tensor/tensor.ts";

/** How the per-token loss is aggregated (docs/grpo-algorithm.md#loss-types); the one list configs and code use. */
export const LOSS_TYPES = ["grpo", "bnpo", "dr_grpo", "dapo"] as const;

export type LossType = (typeof LOSS_TYPES)[number];

export interface GrpoLossInputs {
  /** log pi_theta of each completion token [B, T] (differentiable). */
  logProbs: Tensor;
  /** log pi_old [B, T]; absent on the first pass over a batch of rollouts (then rho = 1, old = current). */
  oldLogProbs?: Tensor;
  /** log pi_ref [B, T]; needed when beta > 0. */
  refLogProbs?: Tensor;
  /** Truncated importance weights [B, T] of stale rollouts (stale-importance.ts; no gradient), multiplying the policy term. */
  importanceWeights?: Tensor;
  /** One advantage per sequence [B]. */
  advantages: Tensor;
  /** 1 for completion tokens that count, 0 for prompt, padding and masked (truncated) completions [B, T]. */
  mask: Tensor;
}

export interface GrpoLossOptions {
  lossType: LossType;
  epsilonLow: number;
  epsilonHigh: number;
  beta: number;
  /** dr_grpo's constant normaliser is B x maxCompletionLength. */
  maxCompletionLength: number;
  /** dapo: active tokens of the whole accumulated batch (default: this batch's); a scalar tensor in captured updates. */
  globalActiveTokens?: number | Tensor;
  /**
   * Micro-batches accumulated into one optimizer step: grpo, bnpo and dr_grpo losses are divided by it
   * so the accumulated gradient is the mean of the micro-batches' (dapo's global normaliser already is).
   */
  microBatches?: number;
}

export interface GrpoLossResult {
  loss: Tensor;
  /** Masked means over active tokens (scalars, no gradient). */
  kl: Tensor | undefined;
  /** Tokens where rho < 1 - epsLow with A < 0 (the clip binds from below). */
  clipLow: Tensor;
  /** Tokens where rho > 1 + epsHigh with A > 0 (the clip binds from above). */
  clipHigh: Tensor;
  /** Either of the two. */
  clipRegion: Tensor;
}

interface AggregationContext {
  batch: number;
  maxCompletionLength: number;
  microBatches: number;
  globalActiveTokens: number | Tensor | undefined;
}

/**
 * How each loss type turns the masked per-token losses [B, T] into this micro-batch's share of the step's
 * loss (docs/grpo-algorithm.md#loss-types). A new loss type is a name in LOSS_TYPES and an entry here.
 */
const LOSS_AGGREGATION: { readonly [T in LossType]: (masked: Tensor, m: Tensor, c: AggregationContext) => Tensor } = {
  // Mean over each sequence's tokens, then over sequences (length-biased).
  grpo: (masked, m, c) => div(sum(div(sum(masked, 1), maximum(sum(m, 1), 1))), c.batch * c.microBatches),
  // Mean over the micro-batch's active tokens.
  bnpo: (masked, m, c) => div(div(sum(masked), maximum(sum(m), 1)), c.microBatches),
  // A constant normaliser: sequences x maxCompletionLength.
  dr_grpo: (masked, _m, c) => div(sum(masked), c.batch * c.maxCompletionLength * c.microBatches),
  // Mean over the active tokens of the whole accumulated batch.
  dapo: (masked, m, c) => {
    const g = c.globalActiveTokens;
    if (g === undefined) return div(sum(masked), maximum(sum(m), 1));
    return div(sum(masked), typeof g === "number" ? Math.max(g, 1) : maximum(g, 1));
  },
};

/** An invalid GRPO loss option or input. */
export class GrpoLossError extends R1tsError {}

export function grpoLoss(inputs: GrpoLossInputs, options: GrpoLossOptions): GrpoLossResult {
  checkInputs(inputs, options);
  const { logProbs, oldLogProbs, refLogProbs, mask } = inputs;
  const { lossType, epsilonLow, epsilonHigh, beta, maxCompletionLength, microBatches = 1 } = options;
  return tidy(() => {
    const [b] = logProbs.shape;
    const m = mask.dtype === "f32" ? mask : cast(mask, "f32");
    const a = reshape(inputs.advantages, [b, 1]);
    const old = oldLogProbs ?? stopGradient(logProbs);
    const ratio = exp(sub(logProbs, old));
    const clipped = clamp(ratio, 1 - epsilonLow, 1 + epsilonHigh);
    let perToken = neg(minimum(mul(ratio, a), mul(clipped, a)));
    if (inputs.importanceWeights) perToken = mul(perToken, inputs.importanceWeights);
    let kl: Tensor | undefined;
    if (beta > 0) {
      const delta = sub(refLogProbs!, logProbs);
      const klTok = sub(sub(exp(delta), delta), 1);
      perToken = add(perToken, mul(klTok, beta));
      kl = maskedMean(stopGradient(klTok), m);
    }
    const masked = mul(perToken, m);
    const loss = LOSS_AGGREGATION[lossType](masked, m, { batch: b, maxCompletionLength, microBatches, globalActiveTokens: options.globalActiveTokens });
    const r = stopGradient(ratio);
    const low = mul(cast(less(r, 1 - epsilonLow), "f32"), cast(less(a, 0), "f32"));
    const high = mul(cast(greater(r, 1 + epsilonHigh), "f32"), cast(greater(a, 0), "f32"));
    // A token cannot be clipped from both sides (A < 0 and A > 0 exclude each other): region = low + high.
    const region = add(low, high);
    return { loss, kl, clipLow: maskedMean(low, m), clipHigh: maskedMean(high, m), clipRegion: maskedMean(region, m) };
  });
}

/** sum(x m) / max(sum(m), 1) */
export function maskedMean(x: Tensor, m: Tensor): Tensor {
  return tidy(() => div(sum(mul(x, m)), maximum(sum(m), 1)));
}

function checkInputs(inputs: GrpoLossInputs, options: GrpoLossOptions): void {
  const { logProbs, oldLogProbs, refLogProbs, advantages, mask } = inputs;
  if (!LOSS_TYPES.includes(options.lossType)) throw new GrpoLossError(`lossType must be one of ${LOSS_TYPES.join(", ")}, got ${JSON.stringify(options.lossType)}`);
  for (const [name, v] of [["epsilonLow", options.epsilonLow], ["epsilonHigh", options.epsilonHigh], ["beta", options.beta]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new GrpoLossError(`${name} must be a finite number >= 0, got ${v}`);
  }
  if (options.epsilonLow >= 1) throw new GrpoLossError(`epsilonLow must be < 1 (the lower clip bound is 1 - epsilonLow), got ${options.epsilonLow}`);
  if (logProbs.rank !== 2 || logProbs.dtype !== "f32") throw new GrpoLossError(`logProbs must be f32 [batch, tokens], got ${logProbs.dtype} ${formatShape(logProbs.shape)}`);
  const same = (name: string, t: Tensor | undefined): void => {
    if (t && !shapesEqual(t.shape, logProbs.shape)) throw new GrpoLossError(`${name} ${formatShape(t.shape)} must match logProbs ${formatShape(logProbs.shape)}`);
  };
  same("oldLogProbs", oldLogProbs);
  same("refLogProbs", refLogProbs);
  same("mask", mask);
  if (options.beta > 0 && !refLogProbs) throw new GrpoLossError(`beta = ${options.beta} > 0 needs refLogProbs (the frozen reference model's log-probs)`);
  if (advantages.rank !== 1 || advantages.shape[0] !== logProbs.shape[0]) {
    throw new GrpoLossError(`advantages must be [${logProbs.shape[0]}] (one per sequence), got ${formatShape(advantages.shape)}`);
  }
  if (options.lossType === "dr_grpo" && !(Number.isSafeInteger(options.maxCompletionLength) && options.maxCompletionLength > 0)) {
    throw new GrpoLossError(`dr_grpo needs maxCompletionLength (a positive integer), got ${options.maxCompletionLength}`);
  }
  const micro = options.microBatches ?? 1;
  if (!Number.isSafeInteger(micro) || micro <= 0) throw new GrpoLossError(`microBatches must be a positive integer, got ${micro}`);
}
