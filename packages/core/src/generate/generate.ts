/**
 * Batched autoregressive generation with a KV cache. Prompts of different lengths are left-padded into
 * one batch; padding is masked out of attention (the fused kernels' per-row bounds) and every row keeps
 * its own positions (0 at its first real token), so each row decodes exactly as it would alone. Rows stop on an EOS token, a stop string
 * or the token budget; finished rows keep their slot (fed padding) until the whole batch is done.
 */
import { logSoftmax } from "../ops/softmax.ts";
import { reshape } from "../ops/layout.ts";
import { takeAlongAxis } from "../ops/indexing.ts";
import { dispose, tidy } from "../memory.ts";
import { Generator } from "../random/generator.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import type { KVCache } from "./kv-cache.ts";
import { type CapturedSampler, type StaticDecodingModel, capturedSampler, capturedStep, capturesByDefault, lengthBucket } from "./captured-decoding.ts";
import { counterUniform } from "../random/counter-hash.ts";
import { GenerationError, type SamplingOptions, checkSampling, sampleTokens, sampleTokensAt, sampleTokensWithLogProbs } from "./sampling.ts";
import type { TokenDecoder } from "../data/tokenizer.ts";

/** What generation needs from a model (TransformerLM has it). */
export interface GenerationModel {
  readonly config: { readonly vocabSize: number; readonly maxSeqLen: number };
  createCache(): KVCache;
  forwardCached(tokens: Tensor, cache: KVCache, input: { positions: ArrayLike<number>; padding?: ArrayLike<number> }, options?: { lastOnly?: boolean }): Tensor;
  parameters(): Variable[];
}

export type { TokenDecoder };

export interface GenerateOptions extends SamplingOptions {
  /** The most tokens to generate per row. */
  maxNewTokens: number;
  /** Seed (or generator) of the sampler; default 0. */
  seed?: number | Generator;
  /**
   * One seed per row instead of `seed`: the n-th token of row b is drawn at uniform n of stream
   * rowSeeds[b] (counterUniform), so a row gets the same tokens whatever batch it is generated in.
   */
  rowSeeds?: readonly number[];
  /** Token id(s) that end a completion (kept as its last token). */
  eosTokenId?: number | readonly number[];
  /** Texts that end a completion once they appear in its decoded text (needs `tokenizer`). */
  stopStrings?: readonly string[];
  /** Decodes completions into `texts` (and for stop strings). */
  tokenizer?: TokenDecoder;
  /** The token fed at padded and finished slots (never attended to); default the first EOS id, else 0. */
  padTokenId?: number;
  /** Also return the log-probability of each generated token (`completionLogProbs`). */
  returnLogProbs?: boolean;
  /**
   * Which log-probability (vLLM's logprobs_mode): "raw" (default) under the model's own distribution
   * (temperature 1, unfiltered); "processed" under the distribution the token was drawn from
   * (logits / temperature, top-k / top-p filtered; 0 when greedy), what a trainer compares with its
   * own log-probs to correct for a sampler/trainer mismatch.
   */
  logProbsMode?: "raw" | "processed";
  /** Reuse keys and values across steps (default true); false recomputes the whole sequence every step. */
  useCache?: boolean;
  /**
   * Capture prefill and decode as graphs over a preallocated cache (prompt width and cache length
   * rounded up to buckets), and with `rowSeeds` or greedy decoding the sampling step too: default true
   * on backends that build graphs (onnx) for models that support it, false elsewhere. Tokens are the
   * same either way.
   */
  capture?: boolean;
}

export type FinishReason = "eos" | "stop" | "length";

export interface GenerateResult {
  /** Prompt followed by completion, per row (no padding). */
  sequences: number[][];
  /** The generated tokens per row, the EOS token included when it ended the row. */
  completionIds: number[][];
  completionLengths: number[];
  /** Why each row stopped: EOS token, stop string, or maxNewTokens. */
  finishReasons: FinishReason[];
  /** Decoded completions (with a tokenizer): EOS left out, cut just after the stop string that ended the row. */
  texts?: string[];
  /** With `returnLogProbs`: log p(token) of each completion token (see `logProbsMode`). */
  completionLogProbs?: number[][];
}

/** Generates completions for each prompt (token ids) in one batch. */
export async function generate(model: GenerationModel, prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GenerateResult> {
  const { maxNewTokens, stopStrings = [], tokenizer, returnLogProbs = false, useCache = true } = options;
  const eos = new Set(options.eosTokenId === undefined ? [] : typeof options.eosTokenId === "number" ? [options.eosTokenId] : options.eosTokenId);
  const padId = options.padTokenId ?? (eos.size > 0 ? [...eos][0] : 0);
  checkOptions(model, prompts, options, eos, padId);
  const generator = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
  const backend = model.parameters()[0].backend;

  const rowSeeds = options.rowSeeds;
  const batch = prompts.length;
  const staticModel = model as Partial<StaticDecodingModel> & GenerationModel;
  const capture = useCache && typeof staticModel.forwardStatic === "function" && (options.capture ?? capturesByDefault(model));
  const longest = Math.max(...prompts.map((p) => p.length));
  // Captured steps pad prompts further left, to a bucket width, so prompts of nearby lengths share a graph.
  const promptWidth = capture ? lengthBucket(longest) : longest;
  const padding = prompts.map((p) => promptWidth - p.length);
  // With row seeds every batch passes its padding to attention (the kernels' per-row bounds), padded or not,
  // so a row's numbers do not depend on whether its batch happens to need padding (a backend's unbounded
  // attention may round differently).
  const masked = padding.some((n) => n > 0) || rowSeeds !== undefined;
  // columns[b][c]: the token in column c of row b (left padding first).
  const columns = prompts.map((p, b) => [...new Array<number>(padding[b]).fill(padId), ...p]);
  const completions: number[][] = prompts.map(() => []);
  const logProbs: number[][] = prompts.map(() => []);
  const reasons: (FinishReason | undefined)[] = prompts.map(() => undefined);
  const texts: (string | undefined)[] = prompts.map(() => undefined);

  /** Logits [B, V] of the last column after feeding columns [from, width). */
  const step = (cache: KVCache, from: number, width: number): Tensor => {
    const s = width - from;
    const tokens = new Int32Array(batch * s);
    const positions = new Int32Array(batch * s);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < s; j++) {
        tokens[b * s + j] = columns[b][from + j];
        positions[b * s + j] = Math.max(0, from + j - padding[b]);
      }
    }
    return tidy(() => {
      const tokenTensor = engine.makeTensor(tokens, [batch, s], "i32", backend);
      const logits = model.forwardCached(tokenTensor, cache, { positions, padding: masked ? padding : undefined }, { lastOnly: true });
      return reshape(logits, [batch, model.config.vocabSize]);
    });
  };

  if (capture) {
    const length = lengthBucket(promptWidth + maxNewTokens);
    const prefill = capturedStep(staticModel as StaticDecodingModel, batch, length, promptWidth);
    const decode = capturedStep(staticModel as StaticDecodingModel, batch, length, 1);
    const padTensor = engine.makeTensor(Int32Array.from(padding), [batch], "i32", backend);
    /** Logits [B, V] of the last column after writing columns [from, width) into the static cache. */
    const staticStep = (from: number, width: number): Tensor => {
      const s = width - from;
      const tokens = new Int32Array(batch * s);
      for (let b = 0; b < batch; b++) for (let j = 0; j < s; j++) tokens[b * s + j] = columns[b][from + j];
      return tidy(() => {
        const run = s === 1 ? decode.step : prefill.step;
        return run(engine.makeTensor(tokens, [batch, s], "i32", backend), engine.makeTensor(Int32Array.from([from]), [1], "i32", backend), padTensor);
      });
    };
    try {
      return await decodeLoop(staticStep);
    } finally {
      padTensor.dispose();
    }
  }

  let cache = model.createCache();
  try {
    return await decodeLoop((from, width) => {
      if (from > 0 && !useCache) {
        cache.dispose();
        cache = model.createCache();
        return step(cache, 0, width);
      }
      return step(cache, from, width);
    });
  } finally {
    cache.dispose();
  }

  /** Prefill, then one sampled token per row per step until every row stops; `forward(from, width)` gives the logits. */
  async function decodeLoop(forward: (from: number, width: number) => Tensor): Promise<GenerateResult> {
    // Captured generation samples in a graph too, when the draw takes uniforms (row seeds) or none (greedy):
    // the host generator's per-step seed of the other path is an attribute, which would build a graph per step.
    const greedy = (options.temperature ?? 1) === 0;
    const sampler: CapturedSampler | undefined = capture && (rowSeeds || greedy) ? capturedSampler(model, batch, options, { logProbs: returnLogProbs ? (options.logProbsMode ?? "raw") : undefined }) : undefined;
    let logits = forward(0, promptWidth);
    for (let i = 0; i < maxNewTokens; i++) {
      const uniforms = rowSeeds && !greedy ? rowSeeds.map((s) => counterUniform(s, i)) : new Array<number>(batch).fill(0);
      const [next, picked] = sampler ? sampler(logits, uniforms) : tidy(() => {
        const source = rowSeeds ? { uniforms } : undefined;
        if (returnLogProbs && options.logProbsMode === "processed") {
          const { tokens, logProbs: lp } = sampleTokensWithLogProbs(logits, options, source ?? generator);
          return [tokens, lp] as const;
        }
        const n = source ? sampleTokensAt(logits, options, source.uniforms) : sampleTokens(logits, options, generator);
        const lp = returnLogProbs ? reshape(takeAlongAxis(logSoftmax(logits, -1), reshape(n, [batch, 1]), -1), [batch]) : undefined;
        return [n, lp] as const;
      });
      const ids = await next.data();
      const lps = picked ? await picked.data() : undefined;
      dispose([logits, next, picked]);

      for (let b = 0; b < batch; b++) {
        if (reasons[b]) {
          columns[b].push(padId);
          continue;
        }
        const id = ids[b];
        completions[b].push(id);
        columns[b].push(id);
        if (lps) logProbs[b].push(lps[b]);
        if (eos.has(id)) reasons[b] = "eos";
        else if (stopStrings.length > 0 && tokenizer) {
          const text = tokenizer.decode(completions[b]);
          const end = firstStopEnd(text, stopStrings);
          if (end >= 0) {
            reasons[b] = "stop";
            texts[b] = text.slice(0, end);
          }
        }
        if (!reasons[b] && completions[b].length >= maxNewTokens) reasons[b] = "length";
      }
      if (reasons.every((r) => r !== undefined)) break;

      const width = promptWidth + i + 1;
      logits = forward(width - 1, width);
    }
    return finish();
  }

  function finish(): GenerateResult {
  const result: GenerateResult = {
    sequences: prompts.map((p, b) => [...p, ...completions[b]]),
    completionIds: completions,
    completionLengths: completions.map((c) => c.length),
    finishReasons: reasons.map((r) => r ?? "length"),
  };
  if (tokenizer) {
    // A completion that is only its EOS token decodes to "" (some tokenizers refuse an empty id list).
    const decode = (ids: number[]) => (ids.length === 0 ? "" : tokenizer.decode(ids));
    result.texts = completions.map((c, b) => texts[b] ?? decode(reasons[b] === "eos" ? c.slice(0, -1) : c));
  }
  if (returnLogProbs) result.completionLogProbs = logProbs;
  return result;
  }
}

/** The end index of the earliest stop string in `text`, or -1. */
function firstStopEnd(text: string, stops: readonly string[]): number {
  let best = -1;
  let bestStart = Infinity;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && at < bestStart) {
      bestStart = at;
      best = at + stop.length;
    }
  }
  return best;
}

function checkOptions(model: GenerationModel, prompts: readonly (readonly number[])[], options: GenerateOptions, eos: ReadonlySet<number>, padId: number): void {
  const { vocabSize, maxSeqLen } = model.config;
  const tokenId = (what: string, id: unknown): void => {
    if (!(typeof id === "number" && Number.isSafeInteger(id) && id >= 0 && id < vocabSize)) {
      throw new GenerationError(`generate: ${what} must be a token id in [0, ${vocabSize}), got ${JSON.stringify(id)}`);
    }
  };
  if (!Array.isArray(prompts) || prompts.length === 0) throw new GenerationError("generate: prompts must be a non-empty array of token id arrays");
  prompts.forEach((p, b) => {
    if (!Array.isArray(p) || p.length === 0) throw new GenerationError(`generate: prompt ${b} must be a non-empty array of token ids`);
    p.forEach((id, j) => tokenId(`prompts[${b}][${j}]`, id));
  });
  const { maxNewTokens } = options;
  if (!(Number.isSafeInteger(maxNewTokens) && maxNewTokens >= 1)) throw new GenerationError(`generate: maxNewTokens must be an integer >= 1, got ${maxNewTokens}`);
  const longest = Math.max(...prompts.map((p) => p.length));
  if (longest + maxNewTokens > maxSeqLen) {
    throw new GenerationError(`generate: the longest prompt (${longest} tokens) + maxNewTokens (${maxNewTokens}) exceeds the model's maxSeqLen ${maxSeqLen}`);
  }
  for (const id of eos) tokenId("eosTokenId", id);
  tokenId("padTokenId", padId);
  checkSampling(options);
  if (options.logProbsMode !== undefined && options.logProbsMode !== "raw" && options.logProbsMode !== "processed") {
    throw new GenerationError(`generate: logProbsMode must be "raw" or "processed", got ${JSON.stringify(options.logProbsMode)}`);
  }
  if (options.rowSeeds !== undefined) {
    if (!Array.isArray(options.rowSeeds) || options.rowSeeds.length !== prompts.length) {
      throw new GenerationError(`generate: rowSeeds must hold one seed per prompt (${prompts.length}), got ${Array.isArray(options.rowSeeds) ? options.rowSeeds.length : JSON.stringify(options.rowSeeds)}`);
    }
    options.rowSeeds.forEach((s, b) => {
      if (!(Number.isSafeInteger(s) && s >= 0 && s <= 0xffffffff)) throw new GenerationError(`generate: rowSeeds[${b}] must be an unsigned 32-bit integer, got ${JSON.stringify(s)}`);
    });
  }
  if ((options.stopStrings?.length ?? 0) > 0) {
    if (!options.tokenizer) throw new GenerationError("generate: stopStrings need a tokenizer to decode completions");
    for (const s of options.stopStrings ?? []) if (typeof s !== "string" || s.length === 0) throw new GenerationError(`generate: stop strings must be non-empty strings, got ${JSON.stringify(s)}`);
  }
}
