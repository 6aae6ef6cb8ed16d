/**
 * Captured decoding reads its static cache in place (lower/cache-attention.ts): the attention over a
 * just-written cache is lowered as two key blocks (the cache as received, the new rows) and the rows are
 * written on the host after the run. Logits and caches equal the literal kernel-by-kernel replay of the
 * same trace (CacheWrite, then the fused attention) on this backend, for GQA and both MLA paths, over a
 * left-padded prefill and decode steps up to the cache's last column.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type Tensor, TransformerLM, type TransformerConfigInput, compile, engine, reshape } from "@r1ts/core";
import { createOnnxBackend } from "../src/index.ts";

const backend = createOnnxBackend({ intraOpThreads: 1 });
afterAll(() => backend.destroy?.());

const MODELS: [string, TransformerConfigInput][] = [
  ["GQA", { vocabSize: 13, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 48, maxSeqLen: 48, initStd: 0.3, seed: 5 }],
  ["MLA absorbed", { vocabSize: 13, dim: 32, nLayers: 2, nHeads: 2, interDim: 48, maxSeqLen: 48, initStd: 0.3, seed: 6, attention: "mla", kvLoraRank: 16, qkNopeHeadDim: 8, qkRopeHeadDim: 4, vHeadDim: 8, qLoraRank: 0 }],
  ["MLA naive", { vocabSize: 13, dim: 32, nLayers: 2, nHeads: 2, interDim: 48, maxSeqLen: 48, initStd: 0.3, seed: 7, attention: "mla", kvLoraRank: 16, qkNopeHeadDim: 8, qkRopeHeadDim: 4, vHeadDim: 8, qLoraRank: 0, mlaAbsorb: false }],
];

const B = 3;
const T = 8;
const PROMPT = [[1, 2, 3, 4], [0, 0, 5, 6], [0, 0, 0, 7]];
const PAD = [0, 2, 3];

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(b[i]))) throw new Error(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

describe("captured decoding reads the static cache in place", () => {
  for (const [name, config] of MODELS) {
    it(`${name}: the same logits and caches as the literal kernel-by-kernel replay`, async () => {
      {
        const model = engine.withBackend(backend, () => new TransformerLM(config));
        const runs = [false, true].map((interpret) => {
          const cache = model.createStaticCache(B, T);
          const step = compile((tokens: Tensor, column: Tensor, pad: Tensor) => reshape(model.forwardStatic(tokens, cache, { column, pad }, { lastOnly: false }), [-1]), { name: `in-place ${name} ${interpret}`, interpret });
          return { cache, step };
        });
        const ints = (values: number[], shape: number[]): Tensor => engine.makeTensor(Int32Array.from(values), shape, "i32", backend);
        const pad = ints(PAD, [B]);
        // Prefill at column 0, then decode at columns 4..7; the last step's column 8 is clamped to T - 1 = 7.
        const feeds: [number[], number][] = [[PROMPT.flat(), 0], [[3, 4, 5], 4], [[6, 7, 8], 5], [[9, 10, 11], 6], [[12, 1, 2], 7], [[5, 5, 5], 8]];
        for (const [tokens, column] of feeds) {
          const feed = [ints(tokens, [B, tokens.length / B]), ints([column], [1])];
          const [graph, literal] = runs.map(({ step }) => step(feed[0], feed[1], pad));
          for (const t of feed) t.dispose();
          close(await graph.data(), await literal.data(), `logits at column ${column}`);
          graph.dispose();
          literal.dispose();
        }
        const [graphCache, literalCache] = runs.map((r) => r.cache.variables());
        for (let i = 0; i < graphCache.length; i++) close(await graphCache[i].data(), await literalCache[i].data(), graphCache[i].name);
        const stats = runs[0].step.stats().graphs;
        expect(stats.every((g) => g.mode === "graph" && (g.backend as { hostCacheWrites: number }).hostCacheWrites === 2 * config.nLayers!)).toBe(true);
        expect(runs[1].step.stats().graphs.every((g) => g.mode === "interpreted")).toBe(true);
        for (const r of runs) {
          r.step.dispose();
          r.cache.dispose();
        }
        pad.dispose();
        model.dispose();
      }
    }, 60_000);
  }
});
