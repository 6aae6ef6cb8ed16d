/**
 * Next-token samplers on the device: greedy (argmax), or temperature scaling, optional top-k and top-p
 * (nucleus, Holtzman et al. 2020) filtering, then one draw per row: either with the counter-based
 * `multinomial` kernel, seeded from a host generator (so a seed gives the same tokens on every backend),
 * or by inverting each row's CDF at a uniform of its own (so a row draws the same token whatever batch
 * it is generated in: what rollouts split over many workers need).
 */
import { R1tsError } from "../errors.ts";
import { arange, zeros } from "../ops/creation.ts";
import { div, greater, less, lessEqual, mul, where } from "../ops/elementwise.ts";
import { argmax, sum } from "../ops/reduce.ts";
import { cumsum, multinomial, takeAlongAxis, topk } from "../ops/indexing.ts";
import { reshape } from "../ops/layout.ts";
import { logSoftmax, softmax } from "../ops/softmax.ts";
import { tidy } from "../memory.ts";
import type { Generator } from "../random/generator.ts";
import { engine } from "../tensor/engine.ts";
import { Tensor } from "../tensor/tensor.ts";

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
  return tidy(() => sampleFiltered(logits, options, drawWith(generator), false).tokens);
}

/**
 * One token per row of logits [B, V] -> i32 [B], row b drawn at its own uniform `uniforms[b]` in [0, 1)
 * (unused when greedy). A row's token depends only on its logits and its uniform, never on the other rows.
 */
export function sampleTokensAt(logits: Tensor, options: SamplingOptions, uniforms: ArrayLike<number>): Tensor {
  return tidy(() => sampleFiltered(logits, options, drawWith({ uniforms: checkUniforms(logits, uniforms) }), false).tokens);
}

/**
 * sampleTokens (from a generator) or sampleTokensAt (from per-row uniforms), plus each drawn token's
 * log-probability under the distribution it was drawn from (the "processed" log-prob: temperature-scaled,
 * top-k / top-p filtered; 0 for greedy): f32 [B]. These are the sampler's log-probs that a trainer
 * compares with its own to correct for the mismatch.
 */
export function sampleTokensWithLogProbs(logits: Tensor, options: SamplingOptions, source: Generator | { uniforms: ArrayLike<number> }): { tokens: Tensor; logProbs: Tensor } {
  const checked = "uniforms" in source ? { uniforms: checkUniforms(logits, source.uniforms) } : source;
  return tidy(() => {
    const { tokens, logProbs } = sampleFiltered(logits, options, drawWith(checked), true);
    return { tokens, logProbs: logProbs! };
  });
}

/**
 * sampleTokensAt / sampleTokensWithLogProbs with the uniforms as an f32 [B] tensor (data, so one captured
 * sampling step serves every step of a generation; the caller keeps them in [0, 1)): the tokens, and with
 * `processedLogProbs` each token's log-prob under the filtered distribution.
 */
export function sampleTokensAtTensor(logits: Tensor, options: SamplingOptions, uniforms: Tensor, { processedLogProbs = false }: { processedLogProbs?: boolean } = {}): { tokens: Tensor; logProbs?: Tensor } {
  return tidy(() => sampleFiltered(logits, options, drawWith({ uniforms }), processedLogProbs));
}

/** A draw of one rank per row of filtered logits [B, V'] -> i32 [B]: the counter-based kernel, or per-row uniforms. */
function drawWith(source: Generator | { uniforms: ArrayLike<number> | Tensor }): (kept: Tensor) => Tensor {
  if ("uniforms" in source) return (kept) => inverseCdf(kept, source.uniforms);
  return (kept) => reshape(multinomial(kept, 1, source), [kept.shape[0]]);
}

function checkUniforms(logits: Tensor, uniforms: ArrayLike<number>): ArrayLike<number> {
  if (logits.rank === 2 && uniforms.length !== logits.shape[0]) {
    throw new GenerationError(`sampleTokensAt: ${uniforms.length} uniforms for ${logits.shape[0]} rows of logits`);
  }
  for (let b = 0; b < uniforms.length; b++) {
    const u = uniforms[b];
    if (!(u >= 0 && u < 1)) throw new GenerationError(`sampleTokensAt: uniform ${b} must be in [0, 1), got ${u}`);
  }
  return uniforms;
}

/**
 * Inverse-CDF sampling from softmax(logits [B, V]) at one uniform per row: the token j with
 * cumBefore_j <= u * total < cumBefore_j + p_j, found as the last token of positive probability whose
 * exclusive cumulative probability is at most u * total. A token of probability zero is never drawn,
 * even where rounding puts u * total at the very end of the CDF.
 */
function inverseCdf(logits: Tensor, uniforms: ArrayLike<number> | Tensor): Tensor {
  const [b, vocab] = logits.shape;
  const backend = logits.backend;
  const p = softmax(logits);
  const before = cumsum(p, -1, { exclusive: true });
  const u = uniforms instanceof Tensor ? reshape(uniforms, [b, 1]) : engine.makeTensor(Float32Array.from(uniforms), [b, 1], "f32", backend);
  const threshold = mul(sum(p, -1, { keepDims: true }), u);
  const index = arange(0, vocab, 1, "f32", backend);
  const candidates = where(lessEqual(before, threshold), where(greater(p, 0), index, -1), -1);
  return argmax(candidates, -1);
}

/**
 * Greedy, or temperature, top-k and top-p filtering, then `draw` ([B, V'] filtered logits -> i32 [B]
 * ranks); with `withLogProbs` also the log-prob of each drawn token under the filtered distribution.
 */
function sampleFiltered(logits: Tensor, options: SamplingOptions, draw: (kept: Tensor) => Tensor, withLogProbs: boolean): { tokens: Tensor; logProbs?: Tensor } {
  checkSampling(options);
  const { temperature = 1, topK = 0, topP = 1 } = options;
  if (logits.rank !== 2) throw new GenerationError(`sampleTokens: logits must be [batch, vocab], got rank ${logits.rank}`);
  const [b, vocab] = logits.shape;
  if (temperature === 0) return { tokens: argmax(logits, -1), logProbs: withLogProbs ? zeros([b]) : undefined };
  const scaled = temperature === 1 ? logits : div(logits, temperature);
  const k = topK > 0 ? Math.min(topK, vocab) : vocab;
  if (k === vocab && topP === 1) {
    const tokens = draw(scaled);
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
  const rank = reshape(draw(kept), [b, 1]);
  const tokens = reshape(takeAlongAxis(indices, rank, -1), [b]);
  return { tokens, logProbs: withLogProbs ? pick(logSoftmax(kept, -1), rank) : undefined };
}

/** x [B, V] at column index [B, 1] -> [B]. */
function pick(x: Tensor, index: Tensor): Tensor {
  return reshape(takeAlongAxis(x, index, -1), [x.shape[0]]);
}
