/**
 * Captured decoding: prefill and decode steps of a model as compiled functions over a preallocated
 * `StaticKVCache`, cached per (rows, cache length, prompt width), so one graph serves every decode step
 * of a generation and later generations of the same shape reuse them. Prompt widths and cache lengths
 * are rounded up to buckets, so a GRPO run builds a handful of graphs rather than one per step.
 */
import { type CompiledFunction, compile } from "../compile/compile.ts";
import { takeAlongAxis } from "../ops/indexing.ts";
import { reshape } from "../ops/layout.ts";
import { logSoftmax } from "../ops/softmax.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { StaticDecodeInput } from "../nn/transformer-lm.ts";
import type { StaticKVCache } from "./static-kv-cache.ts";
import { type SamplingOptions, sampleTokensAtTensor } from "./sampling.ts";

/** What captured decoding needs from a model (TransformerLM has it). */
export interface StaticDecodingModel {
  readonly config: { readonly vocabSize: number; readonly maxSeqLen: number };
  createStaticCache(batch: number, length: number): StaticKVCache;
  forwardStatic(tokens: Tensor, cache: StaticKVCache, input: StaticDecodeInput, options?: { lastOnly?: boolean }): Tensor;
}

type Step = CompiledFunction<[Tensor, Tensor, Tensor], Tensor>;

interface Slot {
  cache: StaticKVCache;
  steps: Map<number, Step>;
}

const slots = new WeakMap<object, Map<string, Slot>>();

type SampleFn = CompiledFunction<[Tensor, Tensor], Tensor[]>;
const samplers = new WeakMap<object, Map<string, SampleFn>>();

/** A captured sampling step: logits [B, V] and the rows' uniforms -> [tokens i32 [B], log p(token) [B] when asked]. */
export type CapturedSampler = (logits: Tensor, uniforms: ArrayLike<number>) => [Tensor, Tensor | undefined];

/**
 * The sampling step of captured generation as one graph: greedy, or temperature / top-k / top-p with
 * each row's draw at its own uniform (the uniforms are an input, so one graph serves every step), and
 * optionally each drawn token's log-probability: "raw" (temperature 1, unfiltered) or "processed" (under
 * the filtered distribution it was drawn from), as `generate`'s logProbsMode. Cached per model, rows and
 * options; freed by `releaseCapturedDecoding`. Tokens are those of `sampleTokensAt`.
 */
export function capturedSampler(model: object, batch: number, options: SamplingOptions, { logProbs }: { logProbs?: "raw" | "processed" }): CapturedSampler {
  let byKey = samplers.get(model);
  if (!byKey) {
    byKey = new Map();
    samplers.set(model, byKey);
  }
  const { temperature = 1, topK = 0, topP = 1 } = options;
  const key = `${batch}:${temperature}:${topK}:${topP}:${logProbs ?? "none"}`;
  let fn = byKey.get(key);
  if (!fn) {
    const sampling = { temperature, topK, topP };
    fn = compile(
      (logits: Tensor, uniforms: Tensor): Tensor[] => {
        const { tokens, logProbs: processed } = sampleTokensAtTensor(logits, sampling, uniforms, { processedLogProbs: logProbs === "processed" });
        if (logProbs === undefined) return [tokens];
        if (processed) return [tokens, processed];
        return [tokens, reshape(takeAlongAxis(logSoftmax(logits, -1), reshape(tokens, [batch, 1]), -1), [batch])];
      },
      { name: `sample[${batch}]` },
    );
    byKey.set(key, fn);
  }
  const step = fn;
  return (logits, uniforms) => {
    const u = engine.makeTensor(Float32Array.from(uniforms), [batch], "f32", logits.backend);
    try {
      const [tokens, lp] = step(logits, u);
      return [tokens, lp];
    } finally {
      u.dispose();
    }
  };
}

/** The smallest bucket >= n: multiples of 8 up to 64, then of 32 (prompt widths and cache lengths). */
export function lengthBucket(n: number): number {
  if (n <= 64) return Math.max(8, Math.ceil(n / 8) * 8);
  return Math.ceil(n / 32) * 32;
}

/**
 * The step of `width` new tokens of `model` for `batch` rows over a cache of `length` columns:
 * (tokens [B, width], column [1], pad [B]) -> logits [B, vocab] of the last new token.
 */
export function capturedStep(model: StaticDecodingModel, batch: number, length: number, width: number): { step: Step; cache: StaticKVCache } {
  let bySignature = slots.get(model);
  if (!bySignature) {
    bySignature = new Map();
    slots.set(model, bySignature);
  }
  const key = `${batch}x${length}`;
  let slot = bySignature.get(key);
  if (!slot) {
    slot = { cache: model.createStaticCache(batch, length), steps: new Map() };
    bySignature.set(key, slot);
  }
  let step = slot.steps.get(width);
  if (!step) {
    const cache = slot.cache;
    const vocab = model.config.vocabSize;
    step = compile(
      (tokens: Tensor, column: Tensor, pad: Tensor) => reshape(model.forwardStatic(tokens, cache, { column, pad }, { lastOnly: true }), [batch, vocab]),
      { name: width === 1 ? `decode[${batch}x${length}]` : `prefill[${batch}x${width}->${length}]` },
    );
    slot.steps.set(width, step);
  }
  return { step, cache: slot.cache };
}

/** Frees the caches and graphs of captured decoding for `model`. */
export function releaseCapturedDecoding(model: object): void {
  for (const fn of samplers.get(model)?.values() ?? []) fn.dispose();
  samplers.delete(model);
  const bySignature = slots.get(model);
  if (!bySignature) return;
  for (const slot of bySignature.values()) {
    for (const step of slot.steps.values()) step.dispose();
    slot.cache.dispose();
  }
  slots.delete(model);
}

/** Whether generation on this model captures its steps by default: its backend builds graphs. */
export function capturesByDefault(model: { parameters(): { backend: { compileGraph?: unknown } }[] }): boolean {
  return typeof model.parameters()[0]?.backend.compileGraph === "function" && !engine.isTracing;
}


