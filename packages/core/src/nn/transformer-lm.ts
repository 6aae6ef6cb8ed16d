/**
 * A decoder-only transformer language model (Llama / Qwen-style blocks, DeepSeek-style config), laid
 * out like HF's `*ForCausalLM`: `model.embed_tokens`, `model.layers.N`, `model.norm`, `lm_head`.
 */
import { checkpoint } from "../autograd/checkpoint.ts";
import { ShapeError } from "../errors.ts";
import { KVCache } from "../generate/kv-cache.ts";
import { type StaticCacheEntry, StaticKVCache } from "../generate/static-kv-cache.ts";
import { arange } from "../ops/creation.ts";
import { add, cast, div, maximum, mul, sub } from "../ops/elementwise.ts";
import { attentionBounds, crossEntropy } from "../ops/fused/index.ts";
import { gather, takeAlongAxis } from "../ops/indexing.ts";
import { reshape, slice } from "../ops/layout.ts";
import { linear } from "../ops/matmul.ts";
import { sum } from "../ops/reduce.ts";
import { logSoftmax } from "../ops/softmax.ts";
import { tidy } from "../memory.ts";
import { Generator } from "../random/generator.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape, shapesEqual } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { DecoderBlock } from "./decoder-block.ts";
import { Embedding } from "./embedding.ts";
import type { InitOptions } from "./init.ts";
import { Linear, parametersWithAdapters } from "./linear.ts";
import { Module, ModuleList } from "./module.ts";
import type { MoEForwardOptions } from "./moe.ts";
import { RMSNorm } from "./rms-norm.ts";
import { type RopeTables, ropeFrequencies, ropeTableFactor, ropeTables } from "./rope.ts";
import { type TransformerConfig, type TransformerConfigInput, transformerConfig } from "./transformer-config.ts";

/** The new tokens' positions and padding (or mask) for one step of cached decoding. */
export interface DecodeInput {
  /** The position of every new token, batch-major (B * S integers in [0, maxSeqLen)); rows may differ (left padding). */
  positions: ArrayLike<number>;
  /**
   * Left padding of each row (B integers: the column of its first real token): the keys before it are
   * masked by the fused attention kernels' per-row bounds. Omit for unpadded rows.
   */
  padding?: ArrayLike<number>;
  /** An arbitrary additive attention mask [B, 1, S, cached + S] instead (a composed path; see `CachedStep.mask`). */
  mask?: Tensor;
}

/** The transformer body (HF's `model`): embeddings, decoder blocks, final norm. */
export class TransformerModel extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: ModuleList<DecoderBlock>;
  readonly norm: RMSNorm;
  /** RoPE tables for positions 0 .. maxSeqLen - 1 (buffers: not trained, not saved). */
  private readonly rope: RopeTables;
  /**
   * Recompute each decoder block's activations in the backward pass instead of keeping them on the tape
   * (autograd/checkpoint.ts): the same gradients, bit for bit, for less memory and one more forward pass.
   * Cached decoding is unaffected.
   */
  gradientCheckpointing = false;

  constructor(
    readonly config: TransformerConfig,
    init: InitOptions,
  ) {
    super();
    this.embed_tokens = this.addModule("embed_tokens", new Embedding(config.vocabSize, config.dim, init));
    this.layers = this.addModule("layers", new ModuleList(Array.from({ length: config.nLayers }, (_, i) => new DecoderBlock(config, init, i))));
    this.norm = this.addModule("norm", new RMSNorm(config.dim, config.normEps));
    // RoPE rotates whole GQA heads, or only the qkRopeHeadDim part of MLA heads.
    const ropeDim = config.attention === "mla" ? config.qkRopeHeadDim : config.headDim;
    const frequencies = ropeFrequencies({ headDim: ropeDim, theta: config.ropeTheta, maxSeqLen: config.maxSeqLen, scaling: config.ropeScaling });
    const { cos, sin } = ropeTables(frequencies, config.maxSeqLen, undefined, ropeTableFactor(config.ropeScaling, config.maxSeqLen));
    this.rope = { cos: this.addBuffer("rope_cos", cos), sin: this.addBuffer("rope_sin", sin) };
  }

  /** tokens i32 [B, S] -> final hidden states [B, S, dim] (after the last norm); MoE balance losses go into `moe.auxLosses`. */
  forward(tokens: Tensor, moe: MoEForwardOptions = {}): Tensor {
    checkTokens("forward", tokens, this.config.maxSeqLen);
    const { auxLosses } = moe;
    const { h, aux } = tidy(() => {
      const s = tokens.shape[1];
      const tables = { cos: slice(this.rope.cos, [0, 0], [s, -1]), sin: slice(this.rope.sin, [0, 0], [s, -1]) };
      const aux: Tensor[] = [];
      let h = this.embed_tokens.forward(tokens);
      for (const layer of this.layers) {
        const options = { ...moe, auxLosses: auxLosses ? aux : undefined };
        h = this.gradientCheckpointing ? checkpointedBlock(layer, h, tables, options) : layer.forward(h, tables, options);
      }
      return { h: this.norm.forward(h), aux };
    });
    auxLosses?.push(...aux);
    return h;
  }

  /** tokens i32 [B, S] after the `cache.length` cached ones -> final hidden states [B, S, dim]; extends the cache by S. */
  forwardCached(tokens: Tensor, cache: KVCache, input: DecodeInput): Tensor {
    const [b, s] = tokens.shape;
    checkTokens("forwardCached", tokens, Infinity);
    if (cache.nLayers !== this.config.nLayers) throw new ShapeError(`TransformerLM.forwardCached: cache has ${cache.nLayers} layers, the model ${this.config.nLayers}`);
    if (input.positions.length !== b * s) throw new ShapeError(`TransformerLM.forwardCached: ${input.positions.length} positions for ${b} x ${s} tokens`);
    const positions = Int32Array.from(input.positions);
    for (const p of positions) {
      if (!(p >= 0 && p < this.config.maxSeqLen)) throw new ShapeError(`TransformerLM.forwardCached: position ${p} is outside [0, maxSeqLen ${this.config.maxSeqLen})`);
    }
    if (input.padding !== undefined) {
      const pad = Array.from(input.padding);
      if (pad.length !== b || input.mask !== undefined) throw new ShapeError(`TransformerLM.forwardCached: padding must hold one column per row (${b}), got ${pad.length}${input.mask ? ", and cannot come with a mask" : ""}`);
      for (const p of pad) if (!(Number.isSafeInteger(p) && p >= 0 && p <= cache.length + s)) throw new ShapeError(`TransformerLM.forwardCached: padding ${p} is outside [0, ${cache.length + s}]`);
    }
    const out = tidy(() => {
      const index = engine.makeTensor(positions, [b * s], "i32", tokens.backend);
      const tables = { cos: gather(this.rope.cos, index), sin: gather(this.rope.sin, index) };
      const bounds = input.padding === undefined ? undefined : paddingBounds(input.padding, cache.length, s, tokens.backend);
      const step = { tables, mask: input.mask, bounds, cachedLength: cache.length };
      let h = this.embed_tokens.forward(tokens);
      let i = 0;
      for (const layer of this.layers) h = layer.forwardCached(h, step, cache.layer(i++));
      return this.norm.forward(h);
    });
    cache.length += s;
    return out;
  }

  /**
   * tokens i32 [B, S] written at cache columns [column, column + S) of a preallocated `StaticKVCache`
   * -> final hidden states [B, S, dim]. Positions (column + s - pad, at least 0), the RoPE tables, the
   * attention kernels' per-row bounds (pad, T, column) and the cache writes are all computed from tensors.
   */
  forwardStatic(tokens: Tensor, cache: StaticKVCache, { column, pad }: StaticDecodeInput): Tensor {
    const [b, s] = tokens.shape;
    checkTokens("forwardStatic", tokens, cache.length);
    if (cache.nLayers !== this.config.nLayers || cache.batch !== b) throw new ShapeError(`TransformerLM.forwardStatic: cache is ${cache.batch} rows x ${cache.nLayers} layers, tokens ${formatShape(tokens.shape)} for ${this.config.nLayers} layers`);
    if (column.dtype !== "i32" || column.size !== 1 || pad.dtype !== "i32" || !shapesEqual(pad.shape, [b])) {
      throw new ShapeError(`TransformerLM.forwardStatic: column must be i32 [1] and pad i32 [${b}], got ${column.dtype} ${formatShape(column.shape)} and ${pad.dtype} ${formatShape(pad.shape)}`);
    }
    const t = cache.length;
    return tidy(() => {
      const columns = add(reshape(column, [1]), arange(0, s, 1, "i32", tokens.backend)); // [S]
      const positions = maximum(sub(reshape(columns, [1, s]), reshape(pad, [b, 1])), 0); // [B, S]
      const index = reshape(positions, [b * s]);
      const tables = { cos: gather(this.rope.cos, index), sin: gather(this.rope.sin, index) };
      // Key t is visible to the query at column c when pad_b <= t <= c (causal within the bounds).
      const bounds = attentionBounds(pad, t, column);
      cache.beginStep(reshape(column, [1]));
      try {
        const step = { tables, bounds, cachedLength: 0 };
        let h = this.embed_tokens.forward(tokens);
        let i = 0;
        for (const layer of this.layers) h = layer.forwardCached(h, step, cache.layer(i++));
        return this.norm.forward(h);
      } finally {
        cache.endStep();
      }
    });
  }

  /** What each layer's attention caches, for a static cache of `batch` rows and `length` columns. */
  staticCacheEntries(batch: number, length: number): StaticCacheEntry[][] {
    const c = this.config;
    const one = (): StaticCacheEntry[] => {
      if (c.attention !== "mla") {
        return [{ name: "k", shape: [batch, c.nKvHeads, length, c.headDim] }, { name: "v", shape: [batch, c.nKvHeads, length, c.headDim] }];
      }
      if (c.mlaAbsorb === false) {
        return [{ name: "k", shape: [batch, c.nHeads, length, c.qkNopeHeadDim + c.qkRopeHeadDim] }, { name: "v", shape: [batch, c.nHeads, length, c.vHeadDim] }];
      }
      return [{ name: "c", shape: [batch, length, c.kvLoraRank] }, { name: "kpe", shape: [batch, length, c.qkRopeHeadDim] }];
    };
    return Array.from({ length: c.nLayers }, one);
  }
}

/** The inputs of one shape-stable decoding step, as tensors (so one captured graph serves every step). */
export interface StaticDecodeInput {
  /** i32 [1]: the cache column of the first new token (every row's columns line up; rows are left-padded). */
  column: Tensor;
  /** i32 [B]: the left padding of each row (its first real token's column). */
  pad: Tensor;
}

/** The attention bounds i32 [B, 3] of left-padded rows whose S new tokens follow `cached` columns. */
function paddingBounds(padding: ArrayLike<number>, cached: number, s: number, backend: Tensor["backend"]): Tensor {
  const values = new Int32Array(padding.length * 3);
  for (let b = 0; b < padding.length; b++) values.set([padding[b], cached + s, cached], b * 3);
  return engine.makeTensor(values, [padding.length, 3], "i32", backend);
}

export class TransformerLM extends Module {
  readonly config: TransformerConfig;
  readonly model: TransformerModel;
  /** Absent with tied embeddings (the head then multiplies by `model.embed_tokens.weight`). */
  readonly lm_head: Linear | undefined;

  /**
   * Validates the config (ModelConfigError on a bad field) and initialises the weights from `config.seed`,
   * or, with `empty`, allocates them zeroed without drawing (for weights about to be loaded).
   */
  constructor(config: TransformerConfigInput, { empty = false }: { empty?: boolean } = {}) {
    super();
    this.config = transformerConfig(config);
    const init: InitOptions = { std: this.config.initStd, generator: new Generator(this.config.seed), empty };
    this.model = this.addModule("model", new TransformerModel(this.config, init));
    this.lm_head = this.config.tieEmbeddings ? undefined : this.addModule("lm_head", new Linear(this.config.dim, this.config.vocabSize, init));
  }

  /** tokens i32 [B, S] -> logits [B, S, vocabSize]. */
  forward(tokens: Tensor): Tensor {
    return tidy(() => this.head(this.model.forward(tokens)));
  }

  /**
   * tokens i32 [B, S] -> the final hidden states [B, S, dim] the output head reads (see `head`); MoE
   * balance losses go into `moe.auxLosses`.
   */
  hiddenStates(tokens: Tensor, moe: MoEForwardOptions = {}): Tensor {
    return this.model.forward(tokens, moe);
  }

  /** Turns gradient checkpointing of the decoder blocks on or off (HF's gradient_checkpointing_enable). */
  setGradientCheckpointing(enabled: boolean): void {
    this.model.gradientCheckpointing = enabled;
  }

  /**
   * Logits and the summed MoE balance loss (a scalar; undefined without MoE layers or with alpha 0).
   * `moe` says whether the pass counts expert loads and which alpha it uses (training forwards set both).
   */
  forwardWithAux(tokens: Tensor, moe: Omit<MoEForwardOptions, "auxLosses"> = {}): { logits: Tensor; auxLoss: Tensor | undefined } {
    return tidy(() => {
      const aux: Tensor[] = [];
      const logits = this.head(this.model.forward(tokens, { ...moe, auxLosses: aux }));
      return { logits, auxLoss: aux.length === 0 ? undefined : aux.reduce((a, b) => add(a, b)) };
    });
  }

  /**
   * Cached decoding: tokens i32 [B, S] follow the `cache.length` tokens already in `cache` (which grows
   * by S) -> logits [B, S, vocabSize], or [B, 1, vocabSize] of the last position with `lastOnly`.
   */
  forwardCached(tokens: Tensor, cache: KVCache, input: DecodeInput, { lastOnly = false } = {}): Tensor {
    return tidy(() => {
      let h = this.model.forwardCached(tokens, cache, input);
      if (lastOnly) h = slice(h, [0, h.shape[1] - 1, 0], [-1, 1, -1]);
      return this.head(h);
    });
  }

  /** A new, empty cache for `forwardCached`. */
  createCache(): KVCache {
    return new KVCache(this.config.nLayers);
  }

  /** A preallocated cache of `length` columns for `batch` rows, for `forwardStatic` (shape-stable decoding). */
  createStaticCache(batch: number, length: number): StaticKVCache {
    if (!(Number.isSafeInteger(length) && length >= 1 && length <= this.config.maxSeqLen + 64)) throw new ShapeError(`TransformerLM.createStaticCache: length ${length} must be in [1, maxSeqLen]`);
    return new StaticKVCache(batch, length, this.model.staticCacheEntries(batch, length), this.parameters()[0]?.backend);
  }

  /**
   * Shape-stable cached decoding: tokens i32 [B, S] at cache columns [column, column + S) -> logits of
   * the last new token [B, 1, vocabSize] (or of every new token with lastOnly false).
   */
  forwardStatic(tokens: Tensor, cache: StaticKVCache, input: StaticDecodeInput, { lastOnly = true } = {}): Tensor {
    return tidy(() => {
      let h = this.model.forwardStatic(tokens, cache, input);
      if (lastOnly) h = slice(h, [0, h.shape[1] - 1, 0], [-1, 1, -1]);
      return this.head(h);
    });
  }

  /** Hidden states [..., dim] -> logits [..., vocabSize] (the output head). */
  head(h: Tensor): Tensor {
    return this.lm_head ? this.lm_head.forward(h) : linear(h, this.model.embed_tokens.weight);
  }

  /** log p(targets[b, s] | tokens[b, ..s]) for each position: [B, S] (what GRPO's ratios need). */
  tokenLogProbs(tokens: Tensor, targets: Tensor): Tensor {
    checkTargets("tokenLogProbs", tokens, targets);
    return tidy(() => {
      const [b, s] = tokens.shape;
      const logProbs = logSoftmax(this.forward(tokens), -1);
      return reshape(takeAlongAxis(logProbs, reshape(targets, [b, s, 1]), -1), [b, s]);
    });
  }

  /**
   * Mean next-token cross-entropy of `targets` given `tokens` (both [B, S]); with a mask ([B, S], 1 = count,
   * 0 = skip, e.g. prompt tokens in SFT), the mean over the masked-in positions (0 if there are none).
   * MoE models add their sequence-wise balance loss (alpha * sum_i f_i P_i per MoE layer).
   */
  loss(tokens: Tensor, targets: Tensor, mask?: Tensor, moe: Omit<MoEForwardOptions, "auxLosses"> = {}): Tensor {
    checkTargets("loss", tokens, targets);
    if (mask && !shapesEqual(mask.shape, tokens.shape)) throw new ShapeError(`loss: mask ${formatShape(mask.shape)} must match tokens ${formatShape(tokens.shape)}`);
    return tidy(() => {
      const n = tokens.size;
      const { logits, auxLoss } = this.forwardWithAux(tokens, moe);
      const perToken = crossEntropy(reshape(logits, [n, this.config.vocabSize]), reshape(targets, [n]));
      let loss: Tensor;
      if (!mask) loss = div(sum(perToken), n);
      else {
        const weights = reshape(mask.dtype === "f32" ? mask : cast(mask, "f32"), [n]);
        loss = div(sum(mul(perToken, weights)), maximum(sum(weights), 1e-9));
      }
      return auxLoss ? add(loss, auxLoss) : loss;
    });
  }
}

/** One block under gradient checkpointing; the RoPE tables travel as inputs so the tape keeps them. */
function checkpointedBlock(layer: DecoderBlock, h: Tensor, tables: RopeTables, moe: MoEForwardOptions): Tensor {
  let runs = 0;
  const [out, ...aux] = checkpoint(
    (x, cos, sin) => {
      const blockAux: Tensor[] = [];
      // Expert loads are counted (when asked) in the first run only, not again in the recomputation.
      const countLoad = runs++ === 0 ? moe.countLoad : false;
      const y = layer.forward(x, { cos, sin }, { ...moe, countLoad, auxLosses: moe.auxLosses ? blockAux : undefined });
      return [y, ...blockAux];
    },
    [h, tables.cos, tables.sin],
    parametersWithAdapters(layer),
  );
  moe.auxLosses?.push(...aux);
  return out;
}

function checkTokens(what: string, tokens: Tensor, maxSeqLen: number): void {
  if (tokens.dtype !== "i32" || tokens.rank !== 2) throw new ShapeError(`TransformerLM.${what}: tokens must be i32 [batch, seq], got ${tokens.dtype} ${formatShape(tokens.shape)}`);
  if (tokens.shape[1] > maxSeqLen) throw new ShapeError(`TransformerLM.${what}: ${tokens.shape[1]} tokens exceed maxSeqLen ${maxSeqLen}`);
}

function checkTargets(what: string, tokens: Tensor, targets: Tensor): void {
  if (targets.dtype !== "i32" || !shapesEqual(targets.shape, tokens.shape)) {
    throw new ShapeError(`TransformerLM.${what}: targets must be i32 ${formatShape(tokens.shape)} like the tokens, got ${targets.dtype} ${formatShape(targets.shape)}`);
  }
}
