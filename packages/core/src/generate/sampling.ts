/**
 * Next-token samplers on the device: greedy (argmax), or temperature scaling, optional top-k and top-p
 * (nucleus, Holtzman et al. 2020) filtering, then one draw per row with the counter-based `multinomial`
 * kernel, seeded from a host generator (so a seed gives the same tokens on every backend).
 */
import { R1tsError } from "../errors.ts";
import { div, less, where } from "../ops/elementwise.ts";
import { argmax } from "../ops/reduce.ts";
import { cumsum, multinomial, takeAlongAxis, topk } from "../ops/indexing.ts";
import { reshape } from "../ops/layout.ts";
import { logSoftmax, softmax } from "../ops/softmax.ts";
import { zeros } from "../ops/creation.ts";
import { tidy } from "../memory.ts";
import type { Generator } from "../random/generator.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** A bad generation option: names the option, what it must be and what was given. */
export class GenerationError extends R1tsError {}

export interface SamplingOptions {
  /** Softmax temperature (default 1); 0 means greedy (argmax). */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: no limit). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or undefined: no limit). */
  topP?: number;
}

/** Logits of dropped tokens: far below any real logit, yet finite on every backend. */
export const FILTERED_LOGIT = -1e9;

export function checkSampling({ temperature = 1, topK = 0, topP = 1 }: SamplingOptions): void {
  if (!(Number.isFinite(temperature) && temperature >= 0)) throw new GenerationError(`temperature must be a finite number >= 0 (0 = greedy), got ${temperature}`);
  if (!(Number.isSafeInteger(topK) && topK >= 0)) throw new GenerationError(`topK must be an integer >= 0 (0 = off), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new GenerationError(`topP must be in (0, 1] (1 = off), got ${topP}`);
}

/** One token per row of logits [B, V] -> i32 [B]. `generator` seeds the draw (unused when greedy). */
export function sampleTokens(logits: Tensor, options: SamplingOptions, generator: Generator): Tensor {
  return tidy(() => sample(logits, options, generator, false).tokens);
}

/**
 * sampleTokens, plus each drawn token's log-probability under the distribution it was drawn from (the
 * "processed" log-prob: temperature-scaled, top-k / top-p filtered; 0 for greedy): f32 [B]. These are
 * the sampler's log-probs that a trainer compares with its own to correct for the mismatch.
 */
export function sampleTokensWithLogProbs(logits: Tensor, options: SamplingOptions, generator: Generator): { tokens: Tensor; logProbs: Tensor } {
  return tidy(() => {
    const { tokens, logProbs } = sample(logits, options, generator, true);
    return { tokens, logProbs: logProbs! };
  });
}

function sample(logits: Tensor, options: SamplingOptions, generator: Generator, withLogProbs: boolean): { tokens: Tensor; logProbs?: Tensor } {
  checkSampling(options);
  const { temperature = 1, topK = 0, topP = 1 } = options;
  if (logits.rank !== 2) throw new GenerationError(`sampleTokens: logits must be [batch, vocab], got rank ${logits.rank}`);
  const [b, vocab] = logits.shape;
  if (temperature === 0) {
    const tokens = argmax(logits, -1);
    return { tokens, logProbs: withLogProbs ? zeros([b]) : undefined };
  }
  const scaled = temperature === 1 ? logits : div(logits, temperature);
  const k = topK > 0 ? Math.min(topK, vocab) : vocab;
  if (k === vocab && topP === 1) {
    const tokens = reshape(multinomial(scaled, 1, generator), [b]);
    return { tokens, logProbs: withLogProbs ? pick(logSoftmax(scaled, -1), reshape(tokens, [b, 1])) : undefined };
  }
  // Sort (the k largest, descending), filter in sorted order, sample a rank, map it back to a token id.
  const { values, indices } = topk(scaled, k);
  let kept = values;
  if (topP < 1) {
    // A token stays if the probability of the tokens ranked before it is below p (so the first always stays).
    const before = cumsum(softmax(values), -1, { exclusive: true });
    kept = where(less(before, topP), values, FILTERED_LOGIT);
  }
  const rank = multinomial(kept, 1, generator);
  const tokens = reshape(takeAlongAxis(indices, rank, -1), [b]);
  return { tokens, logProbs: withLogProbs ? pick(logSoftmax(kept, -1), rank) : undefined };
}

/** x [B, V] at column index [B, 1] -> [B]. */
function pick(x: Tensor, index: Tensor): Tensor {
  return reshape(takeAlongAxis(x, index, -1), [x.shape[0]]);
}
