/**
 * Captured decoding: prefill and decode steps of a model as compiled functions over a preallocated
 * `StaticKVCache`, cached per (rows, cache length, prompt width), so one graph serves every decode step
 * of a generation and later generations of the same shape reuse them. Prompt widths and cache lengths
 * are rounded up to buckets, so a GRPO run builds a handful of graphs rather than one per step.
 */
import { type CompiledFunction, compile } from "../compile/compile.ts";
import { reshape } from "../ops/layout.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { StaticDecodeInput } from "../nn/transformer-lm.ts";
import type { StaticKVCache } from "./static-kv-cache.ts";

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


