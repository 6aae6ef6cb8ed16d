/**
 * GRPO's objective as a loss to minimise (DeepSeekMath eq. 3; docs/grpo-algorithm.md), with the variants users
 * switch on. Per completion token t:
 *
 *   w_t   importance weight, token or sequence level (importance-weights.ts; GSPO)
 *   p_t   policy loss: clipped surrogate with the optional two-sided cap delta, or CISPO (policy-objective.ts)
 *   l_t   = p_t x e_t x c_t + beta kl_t - entropyCoef H_t
 *
 * with e_t the entropy mask (entropy-mask.ts; 1 when off), c_t the rollout-correction weight
 * (rollout-correction.ts; 1 when off), kl_t the chosen KL estimator (kl-estimators.ts; only with KL in
 * the loss) and H_t the entropy of the next-token distribution (the bonus is a mean over the active
 * tokens of the whole accumulated batch, so it adds up to the same term for every lossType). The
 * policy and KL terms are aggregated over the mask by `lossType` (loss-aggregation.ts). With the
 * defaults (token level, clip, no delta, k3, no entropy terms) this is exactly GRPO as in TRL.
 */
import { R1tsError } from "../../errors.ts";
import { add, cast, div, maximum, mul, stopGradient, sub } from "../../ops/elementwise.ts";
import { reshape } from "../../ops/layout.ts";
import { sum } from "../../ops/reduce.ts";
import { tidy } from "../../memory.ts";
import { formatShape, shapesEqual } from "../../tensor/shape.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { IMPORTANCE_SAMPLING_LEVELS, type ImportanceSamplingLevel, logImportanceWeights } from "./importance-weights.ts";
import { KL_ESTIMATORS, type KlEstimator, klEstimate } from "./kl-estimators.ts";
import { LOSS_TYPES, type LossType, aggregateLoss, maskedMean } from "./loss-aggregation.ts";
import { POLICY_LOSSES, type PolicyLoss, policyObjective } from "./policy-objective.ts";

export { LOSS_TYPES, type LossType, maskedMean } from "./loss-aggregation.ts";

export interface GrpoLossInputs {
  /** log pi_theta of each completion token [B, T] (differentiable). */
  logProbs: Tensor;
  /** log pi_old [B, T]; absent on the first pass over a batch of rollouts (then w = 1, old = current). */
  oldLogProbs?: Tensor;
  /** log pi_ref [B, T]; needed when beta > 0 with the KL in the loss. */
  refLogProbs?: Tensor;
  /** Advantages: one per sequence [B], or one per token [B, T] (REINFORCE++ with the KL in the reward). */
  advantages: Tensor;
  /** 1 for completion tokens that count, 0 for prompt, padding and masked (truncated) completions [B, T]. */
  mask: Tensor;
  /** Rollout-correction weights [B, T] or [B, 1] (no gradient), multiplying the policy loss. */
  rolloutWeights?: Tensor;
  /** The entropy mask [B, T] (1 = keep the token's policy loss). */
  entropyMask?: Tensor;
  /** Differentiable per-token entropy [B, T]; needed when entropyCoef > 0. */
  entropy?: Tensor;
}

export interface GrpoLossOptions {
  lossType: LossType;
  epsilonLow: number;
  epsilonHigh: number;
  /** KL coefficient of the KL term in the loss (0: none). */
  beta: number;
  /** dr_grpo's constant normaliser is B x maxCompletionLength. */
  maxCompletionLength: number;
  /** dapo (and the entropy bonus): active tokens of the whole accumulated batch (default: this batch's); a scalar tensor in captured updates. */
  globalActiveTokens?: number | Tensor;
  /**
   * Micro-batches accumulated into one optimizer step: grpo, bnpo and dr_grpo losses are divided by it
   * so the accumulated gradient is the mean of the micro-batches' (dapo's global normaliser already is).
   */
  microBatches?: number;
  /** Token (default) or sequence (GSPO) importance weights. */
  importanceSampling?: ImportanceSamplingLevel;
  /** clip (default) or cispo. */
  policyLoss?: PolicyLoss;
  /** INTELLECT-2's cap of the unclipped ratio (> 1 + epsilonHigh); undefined: off. */
  delta?: number;
  /** k1, k2 or k3 (default). */
  klEstimator?: KlEstimator;
  /** Entropy bonus coefficient (default 0). */
  entropyCoef?: number;
}

export interface GrpoLossResult {
  loss: Tensor;
  /** Masked means over active tokens (scalars, no gradient). */
  kl: Tensor | undefined;
  /** Tokens where w < 1 - epsLow with A < 0 (the clip binds from below). */
  clipLow: Tensor;
  /** Tokens where w > 1 + epsHigh with A > 0 (the clip binds from above; CISPO: the weight was truncated). */
  clipHigh: Tensor;
  /** Either of the two. */
  clipRegion: Tensor;
}

/** An invalid GRPO loss option or input. */
export class GrpoLossError extends R1tsError {}

export function grpoLoss(inputs: GrpoLossInputs, options: GrpoLossOptions): GrpoLossResult {
  checkInputs(inputs, options);
  const { logProbs, oldLogProbs, refLogProbs, mask, rolloutWeights, entropyMask, entropy } = inputs;
  const { epsilonLow, epsilonHigh, beta, delta, importanceSampling = "token", policyLoss = "clip", klEstimator = "k3", entropyCoef = 0 } = options;
  return tidy(() => {
    const [b] = logProbs.shape;
    const m = mask.dtype === "f32" ? mask : cast(mask, "f32");
    const a = inputs.advantages.rank === 1 ? reshape(inputs.advantages, [b, 1]) : inputs.advantages;
    const old = oldLogProbs ?? stopGradient(logProbs);
    const logW = logImportanceWeights(logProbs, old, m, importanceSampling);
    const policy = policyObjective(logW, a, logProbs, { policyLoss, epsilonLow, epsilonHigh, delta });
    let perToken = policy.perToken;
    if (entropyMask) perToken = mul(perToken, entropyMask);
    if (rolloutWeights) perToken = mul(perToken, rolloutWeights);
    let kl: Tensor | undefined;
    if (beta > 0) {
      const klTok = klEstimate(logProbs, refLogProbs!, klEstimator);
      perToken = add(perToken, mul(klTok, beta));
      kl = maskedMean(stopGradient(klTok), m);
    }
    let loss = aggregateLoss(perToken, m, options);
    if (entropyCoef > 0) {
      const tokens = options.globalActiveTokens ?? sum(m);
      loss = sub(loss, mul(div(sum(mul(entropy!, m)), typeof tokens === "number" ? Math.max(tokens, 1) : maximum(tokens, 1)), entropyCoef));
    }
    const low = policy.clippedLow;
    const high = policy.clippedHigh;
    // A token cannot be clipped from both sides (A < 0 and A > 0 exclude each other): region = low + high.
    return { loss, kl, clipLow: maskedMean(low, m), clipHigh: maskedMean(high, m), clipRegion: maskedMean(add(low, high), m) };
  });
}

function checkInputs(inputs: GrpoLossInputs, options: GrpoLossOptions): void {
  const { logProbs, oldLogProbs, refLogProbs, advantages, mask, rolloutWeights, entropyMask, entropy } = inputs;
  const oneOf = <T>(name: string, v: T | undefined, allowed: readonly T[]): void => {
    if (v !== undefined && !allowed.includes(v)) throw new GrpoLossError(`${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  };
  oneOf("lossType", options.lossType, LOSS_TYPES);
  if (options.lossType === undefined) throw new GrpoLossError(`lossType must be one of ${LOSS_TYPES.join(", ")}, got undefined`);
  oneOf("importanceSampling", options.importanceSampling, IMPORTANCE_SAMPLING_LEVELS);
  oneOf("policyLoss", options.policyLoss, POLICY_LOSSES);
  oneOf("klEstimator", options.klEstimator, KL_ESTIMATORS);
  for (const [name, v] of [["epsilonLow", options.epsilonLow], ["epsilonHigh", options.epsilonHigh], ["beta", options.beta], ["entropyCoef", options.entropyCoef ?? 0]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new GrpoLossError(`${name} must be a finite number >= 0, got ${v}`);
  }
  if (options.epsilonLow >= 1) throw new GrpoLossError(`epsilonLow must be < 1 (the lower clip bound is 1 - epsilonLow), got ${options.epsilonLow}`);
  if (options.delta !== undefined && !(Number.isFinite(options.delta) && options.delta > 1 + options.epsilonHigh)) {
    throw new GrpoLossError(`delta must be a finite number > 1 + epsilonHigh (${1 + options.epsilonHigh}), got ${options.delta}`);
  }
  if (logProbs.rank !== 2 || logProbs.dtype !== "f32") throw new GrpoLossError(`logProbs must be f32 [batch, tokens], got ${logProbs.dtype} ${formatShape(logProbs.shape)}`);
  const [b, t] = logProbs.shape;
  const same = (name: string, x: Tensor | undefined): void => {
    if (x && !shapesEqual(x.shape, logProbs.shape)) throw new GrpoLossError(`${name} ${formatShape(x.shape)} must match logProbs ${formatShape(logProbs.shape)}`);
  };
  same("oldLogProbs", oldLogProbs);
  same("refLogProbs", refLogProbs);
  same("mask", mask);
  same("entropyMask", entropyMask);
  same("entropy", entropy);
  if (rolloutWeights && !(shapesEqual(rolloutWeights.shape, [b, t]) || shapesEqual(rolloutWeights.shape, [b, 1]))) {
    throw new GrpoLossError(`rolloutWeights must be [${b}, ${t}] or [${b}, 1], got ${formatShape(rolloutWeights.shape)}`);
  }
  if (options.beta > 0 && !refLogProbs) throw new GrpoLossError(`beta = ${options.beta} > 0 needs refLogProbs (the frozen reference model's log-probs)`);
  if ((options.entropyCoef ?? 0) > 0 && !entropy) throw new GrpoLossError(`entropyCoef = ${options.entropyCoef} > 0 needs the differentiable per-token entropy`);
  if (!((advantages.rank === 1 && advantages.shape[0] === b) || shapesEqual(advantages.shape, [b, t]))) {
    throw new GrpoLossError(`advantages must be [${b}] (one per sequence) or [${b}, ${t}] (one per token), got ${formatShape(advantages.shape)}`);
  }
  if (options.lossType === "dr_grpo" && !(Number.isSafeInteger(options.maxCompletionLength) && options.maxCompletionLength > 0)) {
    throw new GrpoLossError(`dr_grpo needs maxCompletionLength (a positive integer), got ${options.maxCompletionLength}`);
  }
  const micro = options.microBatches ?? 1;
  if (!Number.isSafeInteger(micro) || micro <= 0) throw new GrpoLossError(`microBatches must be a positive integer, got ${micro}`);
}
