import { beforeAll, describe, expect, it } from "vitest";
import { expectClose } from "./expect-close.ts";
import {
  type Backend,
  CharTokenizer,
  GenerationError,
  type GenerationModel,
  Generator,
  KVCache,
  type Tensor,
  TransformerLM,
  type TransformerConfigInput,
  type Variable,
  createReferenceBackend,
  dispose,
  engine,
  generate,
  memory,
  presetConfig,
  sampleTokens,
  sampleTokensAt,
  setBackend,
  slice,
  tensor,
  tidy,
  variable,
  zeros,
} from "../src/index.ts";

const BACKENDS: [string, Backend][] = [
  ["fused reference kernels", createReferenceBackend()],
  ["composed fallbacks", createReferenceBackend({ fused: false })],
];

const SMALL: TransformerConfigInput = { vocabSize: 11, dim: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 12, maxSeqLen: 24, initStd: 0.4 };

/** Logits [S, V] of a full forward pass over one unpadded row. */
function fullLogits(model: TransformerLM, row: number[]): Float32Array {
  return tidy(() => model.forward(tensor(Int32Array.from(row), [1, row.length]))).dataSync() as Float32Array;
}

function argmaxOf(values: ArrayLike<number>, from: number, n: number): number {
  let best = from;
  for (let i = from; i < from + n; i++) if (values[i] > values[best]) best = i;
  return best - from;
}

beforeAll(async () => {
  await setBackend("reference");
});

describe.each(BACKENDS)("cached decoding on %s", (_name, backend) => {
  const on = <T>(fn: () => T): T => engine.withBackend(backend, fn);

  it.each([false, true])("token-by-token logits equal a full forward pass (interleaved RoPE: %s)", (ropeInterleaved) =>
    on(() => {
      const model = new TransformerLM({ ...SMALL, ropeInterleaved, seed: 3 });
      const row = [1, 5, 2, 9, 4, 7, 3, 10];
      const full = fullLogits(model, row);
      const cache = model.createCache();
      const got: number[] = [];
      // Prefill 3 tokens at once, then one token per step.
      const chunks = [[0, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8]];
      for (const [from, to] of chunks) {
        const logits = tidy(() =>
          model.forwardCached(tensor(Int32Array.from(row.slice(from, to)), [1, to - from]), cache, { positions: Array.from({ length: to - from }, (_, j) => from + j) }),
        );
        got.push(...logits.dataSync());
        logits.dispose();
      }
      expect(cache.length).toBe(8);
      expect(cache.valuesPerTokenPerLayer()).toBe(2 * (2 * 2)); // k and v, each 2 kv heads x headDim 2
      expectClose(got, full);
      cache.dispose();
      model.dispose();
    }),
  );

  it("a left-padded batch with per-row positions and a mask equals each row alone", () =>
    on(() => {
      const model = new TransformerLM({ ...SMALL, seed: 5 });
      const rows = [[3, 1, 4, 1, 5], [9, 2], [6, 5, 3]];
      const width = 5;
      const pad = rows.map((r) => width - r.length);
      const tokens = rows.flatMap((r, b) => [...new Array<number>(pad[b]).fill(0), ...r]);
      const positions = rows.flatMap((_, b) => Array.from({ length: width }, (_, c) => Math.max(0, c - pad[b])));
      const mask = new Float32Array(3 * width * width);
      rows.forEach((_, b) => {
        for (let s = 0; s < width; s++) for (let t = 0; t < width; t++) if (t < pad[b] || t > s) mask[(b * width + s) * width + t] = -1e9;
      });
      const cache = model.createCache();
      const logits = tidy(() => model.forwardCached(tensor(Int32Array.from(tokens), [3, width]), cache, { positions, mask: tensor(mask, [3, 1, width, width]) }));
      const v = model.config.vocabSize;
      const all = logits.dataSync();
      rows.forEach((r, b) => {
        const alone = fullLogits(model, r);
        expectClose(all.slice((b * width + pad[b]) * v, (b + 1) * width * v), alone);
      });
      dispose(logits);
      cache.dispose();
      model.dispose();
    }),
  );
});

describe("generate with a TransformerLM", () => {
  const prompts = [[1, 2, 3, 4], [5], [7, 8]];

  /** Greedy decoding of one row by repeated full forward passes (no cache, no batching). */
  function naiveGreedy(model: TransformerLM, prompt: number[], n: number): number[] {
    const seq = [...prompt];
    for (let i = 0; i < n; i++) {
      const logits = fullLogits(model, seq);
      seq.push(argmaxOf(logits, (seq.length - 1) * model.config.vocabSize, model.config.vocabSize));
    }
    return seq.slice(prompt.length);
  }

  it.each(BACKENDS)("greedy batched generation of prompts of different lengths equals each row decoded alone (%s)", async (_name, backend) => {
    const model = engine.withBackend(backend, () => new TransformerLM({ ...SMALL, seed: 7 }));
    const result = await generate(model, prompts, { maxNewTokens: 6, temperature: 0 });
    expect(result.completionIds).toEqual(prompts.map((p) => engine.withBackend(backend, () => naiveGreedy(model, p, 6))));
    expect(result.sequences).toEqual(prompts.map((p, b) => [...p, ...result.completionIds[b]]));
    expect(result.completionLengths).toEqual([6, 6, 6]);
    expect(result.finishReasons).toEqual(["length", "length", "length"]);
    model.dispose();
  });

  it("with and without the cache gives the same samples, and the log-probs match tokenLogProbs", async () => {
    const model = new TransformerLM({ ...SMALL, seed: 8, initStd: 0.8 });
    const a = await generate(model, prompts, { maxNewTokens: 7, seed: 42, returnLogProbs: true });
    const b = await generate(model, prompts, { maxNewTokens: 7, seed: 42, returnLogProbs: true, useCache: false });
    expect(b.completionIds).toEqual(a.completionIds);
    expectClose(b.completionLogProbs!.flat(), a.completionLogProbs!.flat());
    a.sequences.forEach((seq, r) => {
      const lp = tidy(() => model.tokenLogProbs(tensor(Int32Array.from(seq.slice(0, -1)), [1, seq.length - 1]), tensor(Int32Array.from(seq.slice(1)), [1, seq.length - 1])));
      expectClose(a.completionLogProbs![r], Array.from(lp.dataSync()).slice(prompts[r].length - 1));
      lp.dispose();
    });
    model.dispose();
  });

  it("is deterministic in the seed and leaves no tensors behind", async () => {
    const model = new TransformerLM({ ...SMALL, seed: 8, initStd: 0.8 });
    const before = memory().numTensors;
    const a = await generate(model, prompts, { maxNewTokens: 8, seed: 1, topK: 5, topP: 0.9, temperature: 1.3 });
    const b = await generate(model, prompts, { maxNewTokens: 8, seed: 1, topK: 5, topP: 0.9, temperature: 1.3 });
    const c = await generate(model, prompts, { maxNewTokens: 8, seed: 2, topK: 5, topP: 0.9, temperature: 1.3 });
    expect(memory().numTensors).toBe(before);
    expect(b.completionIds).toEqual(a.completionIds);
    expect(c.completionIds).not.toEqual(a.completionIds);
    model.dispose();
  });
});

/**
 * A scripted model: the next token after token t is table[t] (probability ~1), so stop conditions can be
 * tested with known completions. Also checks that forwardCached is called with consistent positions.
 */
class ScriptedModel implements GenerationModel {
  readonly config = { vocabSize: 8, maxSeqLen: 32 };
  readonly weight: Variable = variable(zeros([1]), "w");
  constructor(private readonly table: number[]) {}
  createCache(): KVCache {
    return new KVCache(1);
  }
  forwardCached(tokens: Tensor, cache: KVCache, input: { positions: ArrayLike<number> }): Tensor {
    const [b, s] = tokens.shape;
    const ids = tokens.dataSync();
    const out = new Float32Array(b * this.config.vocabSize);
    for (let r = 0; r < b; r++) {
      const last = ids[r * s + s - 1];
      out[r * this.config.vocabSize + this.table[last]] = 50;
    }
    expect(input.positions.length).toBe(b * s);
    cache.length += s;
    return tensor(out, [b, 1, this.config.vocabSize]);
  }
  parameters(): Variable[] {
    return [this.weight];
  }
}

describe("stop conditions", () => {
  // Characters by id: 0 "<eos>", then a b c d . ! ?
  const tokenizer = new CharTokenizer(["<eos>", "a", "b", "c", "d", ".", "!", "?"], { specialTokens: ["<eos>"] });
  // a -> b -> c -> d -> . -> <eos>; ! -> ! ; ? -> a
  const model = new ScriptedModel([0, 2, 3, 4, 5, 0, 6, 1]);

  it("stops each row on EOS, a stop string or the token budget, with per-row lengths and texts", async () => {
    const r = await generate(model, [[1], [3], [6], [7]], { maxNewTokens: 5, eosTokenId: 0, stopStrings: ["cd"], tokenizer, temperature: 0 });
    expect(r.completionIds).toEqual([[2, 3, 4], [4, 5, 0], [6, 6, 6, 6, 6], [1, 2, 3, 4]]);
    expect(r.finishReasons).toEqual(["stop", "eos", "length", "stop"]);
    expect(r.completionLengths).toEqual([3, 3, 5, 4]);
    expect(r.texts).toEqual(["bcd", "d.", "!!!!!", "abcd"]);
    expect(r.sequences[1]).toEqual([3, 4, 5, 0]);
  });

  it("ends at the earliest stop string and counts EOS as a completion token", async () => {
    const r = await generate(model, [[1, 2]], { maxNewTokens: 6, eosTokenId: [0, 6], stopStrings: ["d.", "bc"], tokenizer, temperature: 0 });
    expect(r.completionIds).toEqual([[3, 4, 5]]);
    expect(r.texts).toEqual(["cd."]);
    const e = await generate(model, [[4]], { maxNewTokens: 6, eosTokenId: 0, tokenizer, temperature: 0 });
    expect(e.completionIds).toEqual([[5, 0]]);
    expect(e.finishReasons).toEqual(["eos"]);
    expect(e.texts).toEqual(["."]);
  });

  it("rejects bad options with a clear message", async () => {
    await expect(generate(model, [], { maxNewTokens: 2 })).rejects.toThrow(GenerationError);
    await expect(generate(model, [[1, 9]], { maxNewTokens: 2 })).rejects.toThrow(/prompts\[0\]\[1\] must be a token id in \[0, 8\), got 9/);
    await expect(generate(model, [[1]], { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens must be an integer >= 1/);
    await expect(generate(model, [[1, 2, 3]], { maxNewTokens: 30 })).rejects.toThrow(/exceeds the model's maxSeqLen 32/);
    await expect(generate(model, [[1]], { maxNewTokens: 2, stopStrings: ["x"] })).rejects.toThrow(/need a tokenizer/);
    await expect(generate(model, [[1]], { maxNewTokens: 2, topP: 0 })).rejects.toThrow(/topP must be in \(0, 1\]/);
    await expect(generate(model, [[1]], { maxNewTokens: 2, temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(generate(model, [[1]], { maxNewTokens: 2, eosTokenId: 8 })).rejects.toThrow(/eosTokenId/);
  });
});

describe("samplers", () => {
  const logits = [2, 1.5, 0.4, -1, 0.9];
  const n = 4000;
  /** Frequencies of each token over n rows of the same logits. */
  function frequencies(options: Parameters<typeof sampleTokens>[1], seed = 11): number[] {
    const x = tensor(Array.from({ length: n }, () => logits).flat(), [n, logits.length]);
    const ids = tidy(() => sampleTokens(x, options, new Generator(seed))).dataSync();
    x.dispose();
    const counts = new Array<number>(logits.length).fill(0);
    for (const id of ids) counts[id]++;
    return counts.map((c) => c / n);
  }
  const softmaxOf = (l: number[]) => {
    const e = l.map((z) => Math.exp(z - Math.max(...l)));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((z) => z / s);
  };
  // Binomial std at p <= 0.5 with n = 4000 is <= 0.008; 0.03 is over 3.5 sigma.
  const TOL = 0.03;

  it("greedy (temperature 0) and topK 1 take the argmax", () => {
    expect(frequencies({ temperature: 0 })).toEqual([1, 0, 0, 0, 0]);
    expect(frequencies({ topK: 1 })).toEqual([1, 0, 0, 0, 0]);
  });

  it("temperature sampling follows softmax(logits / T)", () => {
    for (const t of [1, 0.5, 2]) {
      const expected = softmaxOf(logits.map((z) => z / t));
      frequencies({ temperature: t }).forEach((f, i) => expect(Math.abs(f - expected[i])).toBeLessThan(TOL));
    }
  });

  it("top-k keeps the k most likely tokens, renormalised", () => {
    const p = softmaxOf([2, 1.5, 0.9]);
    const f = frequencies({ topK: 3 });
    expect(f[2]).toBe(0);
    expect(f[3]).toBe(0);
    [[0, p[0]], [1, p[1]], [4, p[2]]].forEach(([i, e]) => expect(Math.abs(f[i] - e)).toBeLessThan(TOL));
  });

  it("top-p keeps the smallest head of the distribution whose mass reaches p", () => {
    const p = softmaxOf(logits); // sorted: 0 (0.43), 1 (0.26), 4 (0.16), 2 (0.097), 3 (0.024)
    const f = frequencies({ topP: 0.6 }); // tokens 0 and 1: mass before token 1 is 0.43 < 0.6, before token 4 is 0.69
    const z = p[0] + p[1];
    expect(f[4] + f[2] + f[3]).toBe(0);
    expect(Math.abs(f[0] - p[0] / z)).toBeLessThan(TOL);
    expect(Math.abs(f[1] - p[1] / z)).toBeLessThan(TOL);
    expect(frequencies({ topP: 0.01 })).toEqual([1, 0, 0, 0, 0]);
  });

  it("top-k and top-p combine (top-p applies within the top k)", () => {
    const f = frequencies({ topK: 2, topP: 0.99, temperature: 1 });
    expect(f[2] + f[3] + f[4]).toBe(0);
    expect(f[0]).toBeGreaterThan(0.5);
  });
});

describe("per-row samplers (one uniform per row)", () => {
  const logits = [2, 1.5, 0.4, -1, 0.9];
  const softmaxOf = (l: number[]) => {
    const e = l.map((z) => Math.exp(z - Math.max(...l)));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((z) => z / s);
  };
  /** Tokens drawn at uniforms (i + 0.5) / n, i < n: an even sweep of [0, 1), so each token's count is its CDF interval's share. */
  function sweep(options: Parameters<typeof sampleTokensAt>[1], n = 1000, l = logits): number[] {
    const x = tensor(Array.from({ length: n }, () => l).flat(), [n, l.length]);
    const ids = tidy(() => sampleTokensAt(x, options, Array.from({ length: n }, (_, i) => (i + 0.5) / n))).dataSync();
    x.dispose();
    const counts = new Array<number>(l.length).fill(0);
    for (const id of ids) counts[id]++;
    return counts;
  }

  it("inverts the CDF: an even sweep of uniforms gives each token n * p tokens (within one)", () => {
    for (const t of [1, 0.5, 2]) {
      const p = softmaxOf(logits.map((z) => z / t));
      sweep({ temperature: t }).forEach((c, i) => expect(Math.abs(c - 1000 * p[i])).toBeLessThanOrEqual(1));
    }
    // top-k 3 renormalises over tokens 0, 1, 4; top-p 0.6 keeps tokens 0 and 1 (mass before token 4 is 0.69).
    const k = softmaxOf([2, 1.5, 0.9]);
    const counts = sweep({ topK: 3 });
    expect([counts[2], counts[3]]).toEqual([0, 0]);
    [[0, k[0]], [1, k[1]], [4, k[2]]].forEach(([i, e]) => expect(Math.abs(counts[i] - 1000 * e)).toBeLessThanOrEqual(1));
    const p = softmaxOf(logits);
    const head = sweep({ topP: 0.6 });
    expect(head[2] + head[3] + head[4]).toBe(0);
    expect(Math.abs(head[0] - (1000 * p[0]) / (p[0] + p[1]))).toBeLessThanOrEqual(1);
    expect(sweep({ temperature: 0 })).toEqual([1000, 0, 0, 0, 0]);
  });

  it("never draws a token of probability zero, even at the top end of [0, 1)", () => {
    const top = 1 - 2 ** -24;
    for (const l of [[0, -1e9], [-1e9, 0.5, -1e9], [1, 1, -1e9, -1e9]]) {
      const x = tensor(l, [1, l.length]);
      for (const u of [0, 0.5, top]) {
        const [id] = tidy(() => sampleTokensAt(x, {}, [u])).dataSync();
        expect(l[id], `logits ${l} at u ${u}`).toBeGreaterThan(-1e8);
      }
      x.dispose();
    }
  });

  it("a row's token depends on its logits and uniform only, not on the batch around it", () => {
    const rows = [[0.3, -0.2, 1.1, 0.05], [2, 0, 0, -3], [0.1, 0.2, 0.3, 0.4]];
    const us = [0.91, 0.37, 0.58];
    const batch = tensor(rows.flat(), [3, 4]);
    const together = Array.from(tidy(() => sampleTokensAt(batch, { topP: 0.95, temperature: 0.8 }, us)).dataSync());
    batch.dispose();
    rows.forEach((row, b) => {
      const x = tensor(row, [1, 4]);
      expect(tidy(() => sampleTokensAt(x, { topP: 0.95, temperature: 0.8 }, [us[b]])).dataSync()[0]).toBe(together[b]);
      x.dispose();
    });
    const x = tensor(rows.flat(), [3, 4]);
    expect(() => sampleTokensAt(x, {}, [0.5])).toThrow(/1 uniforms for 3 rows/);
    expect(() => sampleTokensAt(x, {}, [0.5, 1, 0.2])).toThrow(/uniform 1 must be in \[0, 1\)/);
    x.dispose();
  });
});

describe.each(BACKENDS)("generate with row seeds on %s", (_name, backend) => {
  const on = <T>(fn: () => Promise<T>): Promise<T> => engine.withBackend(backend, fn);
  const rows = [[1, 5, 2], [7], [3, 3, 8, 9, 2], [4, 6]];
  const seeds = [11, 2_000_000_007, 5, 4_294_967_295];

  const MODELS: [string, () => TransformerLM][] = [
    ["GQA, dense", () => new TransformerLM({ ...SMALL, seed: 8, initStd: 0.8 })],
    ["MLA (absorbed), MoE", () => new TransformerLM(presetConfig("tiny-deepseek", {
      vocabSize: 11, qLoraRank: 8, kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, maxSeqLen: 24, initStd: 0.5, seed: 4, mlaAbsorb: true,
    }))],
  ];

  it.each(MODELS)("%s: gives each row the same tokens and log-probs alone and in any batch (padding, order)", (_model, make) =>
    on(async () => {
      const model = make();
      const options = { maxNewTokens: 6, topK: 6, temperature: 1.2, returnLogProbs: true, eosTokenId: 0 };
      const whole = await generate(model, rows, { ...options, rowSeeds: seeds });
      for (const order of [[2, 0], [3], [1, 3, 0, 2]]) {
        const part = await generate(model, order.map((r) => rows[r]), { ...options, rowSeeds: order.map((r) => seeds[r]) });
        order.forEach((r, j) => {
          expect(part.completionIds[j]).toEqual(whole.completionIds[r]);
          expect(part.completionLogProbs![j]).toEqual(whole.completionLogProbs![r]);
        });
      }
      // Another seed for one row changes that row only.
      const other = await generate(model, rows, { ...options, rowSeeds: [12, ...seeds.slice(1)] });
      expect(other.completionIds.slice(1)).toEqual(whole.completionIds.slice(1));
      expect(other.completionIds[0]).not.toEqual(whole.completionIds[0]);
      await expect(generate(model, rows, { ...options, rowSeeds: [1, 2] })).rejects.toThrow(/one seed per prompt \(4\), got 2/);
      await expect(generate(model, rows, { ...options, rowSeeds: [1, 2, -3, 4] })).rejects.toThrow(/rowSeeds\[2\] must be an unsigned 32-bit integer/);
      model.dispose();
    }));
});

describe("KVCache", () => {
  it("appends along the token axis, owns its tensors, and frees them", () => {
    const before = memory().numTensors;
    const cache = new KVCache(2);
    const a = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const layer = cache.layer(1);
    layer.append("k", a, 2);
    const whole = tidy(() => {
      const b = tensor([5, 6], [1, 1, 1, 2]);
      return layer.append("k", b, 2);
    });
    expect(whole.shape).toEqual([1, 1, 3, 2]);
    expect(Array.from(whole.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(cache.get(1, "k")).toBe(whole);
    a.dispose();
    const last = tidy(() => slice(whole, [0, 0, 2, 0]));
    expect(Array.from(last.dataSync())).toEqual([5, 6]);
    last.dispose();
    const wrongAxis = tensor([1], [1, 1, 1, 1]);
    expect(() => layer.append("k", wrongAxis, 3)).toThrow(/grows along axis 2/);
    wrongAxis.dispose();
    cache.dispose();
    expect(memory().numTensors).toBe(before);
    expect(() => cache.layer(2)).toThrow(/out of range/);
  });
});
