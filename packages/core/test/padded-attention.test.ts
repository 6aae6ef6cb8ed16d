/**
 * Left-padded batches through the fused attention kernels' per-row bounds equal the additive-mask path
 * they replaced: the same logits at every real position and the same parameter gradients, for GQA and
 * both MLA paths, in cached prefill + decode and over the static cache (forwardStatic). On a backend
 * with the fused kernels, every layer's attention runs the fused kernel with the bounds input.
 */
import { describe, expect, it } from "vitest";
import {
  type Backend,
  type KVCache,
  type Tensor,
  TransformerLM,
  type TransformerConfigInput,
  createReferenceBackend,
  dispose,
  engine,
  mul,
  sum,
  tensor,
  tidy,
  valueAndGradsOf,
} from "../src/index.ts";

const BACKENDS: [string, () => Backend][] = [
  ["fused reference kernels", () => createReferenceBackend()],
  ["composed fallbacks", () => createReferenceBackend({ fused: false })],
];

const MODELS: [string, TransformerConfigInput][] = [
  ["GQA", { vocabSize: 11, dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 24, maxSeqLen: 32, initStd: 0.3, seed: 1 }],
  ["MLA absorbed", { vocabSize: 11, dim: 16, nLayers: 2, nHeads: 2, interDim: 24, maxSeqLen: 32, initStd: 0.3, seed: 2, attention: "mla", kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, qLoraRank: 0 }],
  ["MLA naive", { vocabSize: 11, dim: 16, nLayers: 2, nHeads: 2, interDim: 24, maxSeqLen: 32, initStd: 0.3, seed: 3, attention: "mla", kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, qLoraRank: 0, mlaAbsorb: false }],
];

const ROWS = [[3, 1, 4, 1, 5], [9, 2], [6, 5, 3], [7]];
const WIDTH = 5;
const PAD = ROWS.map((r) => WIDTH - r.length);
const TOKENS = ROWS.flatMap((r, b) => [...new Array<number>(PAD[b]).fill(0), ...r]);
const NEXT = [2, 8, 4, 6];

/** Positions of columns [from, to) of every row (0 at its first real token). */
function positions(from: number, to: number): number[] {
  return PAD.flatMap((p) => Array.from({ length: to - from }, (_, j) => Math.max(0, from + j - p)));
}

/** The additive mask of the replaced path: key t is visible to the query at column c when pad <= t <= c. */
function oldMask(from: number, to: number): Tensor {
  const s = to - from;
  const values = new Float32Array(ROWS.length * s * to);
  PAD.forEach((p, b) => {
    for (let j = 0; j < s; j++) for (let t = 0; t < to; t++) if (t < p || t > from + j) values[(b * s + j) * to + t] = -1e9;
  });
  return tensor(values, [ROWS.length, 1, s, to]);
}

/** Whether column c of row b holds a real token. */
const real = (b: number, c: number): boolean => c >= PAD[b];

function expectRealClose(actual: ArrayLike<number>, expected: ArrayLike<number>, from: number, to: number, v: number): void {
  const s = to - from;
  let compared = 0;
  for (let b = 0; b < ROWS.length; b++) {
    for (let j = 0; j < s; j++) {
      if (!real(b, from + j)) continue;
      for (let k = 0; k < v; k++) {
        const i = (b * s + j) * v + k;
        if (!(Math.abs(actual[i] - expected[i]) <= 1e-5 + 1e-4 * Math.abs(expected[i]))) throw new Error(`row ${b} column ${from + j} logit ${k}: ${actual[i]} vs ${expected[i]}`);
        compared++;
      }
    }
  }
  expect(compared).toBeGreaterThan(0);
}

/** Prefill then one decode step on a fresh cache; logits of both, padding (bounds) or the old mask. */
function prefillAndDecode(model: TransformerLM, padded: boolean): [Float32Array, Float32Array] {
  const cache: KVCache = model.createCache();
  try {
    const b = ROWS.length;
    const input = (from: number, to: number) => (padded ? { positions: positions(from, to), padding: PAD } : { positions: positions(from, to), mask: oldMask(from, to) });
    const prefill = tidy(() => model.forwardCached(tensor(Int32Array.from(TOKENS), [b, WIDTH]), cache, input(0, WIDTH)).dataSync() as Float32Array);
    const decode = tidy(() => model.forwardCached(tensor(Int32Array.from(NEXT), [b, 1]), cache, input(WIDTH, WIDTH + 1)).dataSync() as Float32Array);
    return [prefill, decode];
  } finally {
    cache.dispose();
  }
}

/** Gradients of sum(logits * w) over the real positions of a cached prefill, w fixed. */
function prefillGradients(model: TransformerLM, padded: boolean): Float32Array[] {
  const b = ROWS.length;
  const v = model.config.vocabSize;
  const weights = new Float32Array(b * WIDTH * v);
  for (let i = 0; i < weights.length; i++) weights[i] = real(Math.floor(i / (WIDTH * v)), Math.floor(i / v) % WIDTH) ? Math.sin(i) : 0;
  const params = model.parameters();
  const cache = model.createCache();
  try {
    const { value, grads } = valueAndGradsOf(() => {
      const input = padded ? { positions: positions(0, WIDTH), padding: PAD } : { positions: positions(0, WIDTH), mask: oldMask(0, WIDTH) };
      const logits = model.forwardCached(tensor(Int32Array.from(TOKENS), [b, WIDTH]), cache, input);
      return sum(mul(logits, tensor(weights, [b, WIDTH, v])));
    }, params);
    const out = grads.map((g) => g.dataSync() as Float32Array);
    dispose([value, ...grads]);
    return out;
  } finally {
    cache.dispose();
  }
}

describe.each(BACKENDS)("left-padded batches through the attention kernels' per-row bounds (%s)", (backendName, makeBackend) => {
  const backend = makeBackend();
  const on = <T>(fn: () => T): T => engine.withBackend(backend, fn);

  for (const [name, config] of MODELS) {
    it(`${name}: cached prefill and decode give the old masked path's logits at every real position`, () =>
      on(() => {
        const model = new TransformerLM(config);
        const v = model.config.vocabSize;
        const [oldPrefill, oldDecode] = prefillAndDecode(model, false);
        const [prefill, decode] = prefillAndDecode(model, true);
        expectRealClose(prefill, oldPrefill, 0, WIDTH, v);
        expectRealClose(decode, oldDecode, WIDTH, WIDTH + 1, v);
        model.dispose();
      }));

    it(`${name}: the same parameter gradients as the old masked path`, () =>
      on(() => {
        const model = new TransformerLM(config);
        const expected = prefillGradients(model, false);
        const actual = prefillGradients(model, true);
        expect(actual).toHaveLength(expected.length);
        let nonzero = 0;
        actual.forEach((g, i) => {
          for (let j = 0; j < g.length; j++) {
            if (!(Math.abs(g[j] - expected[i][j]) <= 1e-5 + 1e-4 * Math.abs(expected[i][j]))) throw new Error(`${model.parameters()[i].name ?? i}[${j}]: ${g[j]} vs ${expected[i][j]}`);
            if (g[j] !== 0) nonzero++;
          }
        });
        expect(nonzero).toBeGreaterThan(100);
        model.dispose();
      }));

    it(`${name}: forwardStatic (bounds from the pad and column tensors) gives the old masked path's logits`, () =>
      on(() => {
        const model = new TransformerLM(config);
        const v = model.config.vocabSize;
        const [oldPrefill, oldDecode] = prefillAndDecode(model, false);
        const cache = model.createStaticCache(ROWS.length, 8);
        const pad = tensor(Int32Array.from(PAD), [ROWS.length]);
        const run = (tokens: number[], column: number) =>
          tidy(() => model.forwardStatic(tensor(Int32Array.from(tokens), [ROWS.length, tokens.length / ROWS.length]), cache, { column: tensor(Int32Array.from([column]), [1]), pad }, { lastOnly: false }).dataSync() as Float32Array);
        expectRealClose(run(TOKENS, 0), oldPrefill, 0, WIDTH, v);
        expectRealClose(run(NEXT, WIDTH), oldDecode, WIDTH, WIDTH + 1, v);
        pad.dispose();
        cache.dispose();
        model.dispose();
      }));
  }

  if (backendName.startsWith("fused")) {
    it("every layer runs the fused kernel with the bounds input (no composed masked path)", () =>
      on(() => {
        const calls: string[] = [];
        const originals = { Attention: backend.fused.Attention, MLAAttention: backend.fused.MLAAttention };
        for (const kernel of ["Attention", "MLAAttention"] as const) {
          const impl = originals[kernel]!;
          (backend.fused as Record<string, unknown>)[kernel] = (...args: Parameters<typeof impl>) => {
            calls.push(`${kernel}/${args[0].length}`);
            return (impl as (...a: Parameters<typeof impl>) => ReturnType<typeof impl>)(...args);
          };
        }
        try {
          for (const [, config] of MODELS) {
            calls.length = 0;
            const model = new TransformerLM(config);
            prefillAndDecode(model, true);
            const expected = config.attention === "mla" && config.mlaAbsorb !== false ? "MLAAttention/5" : "Attention/4";
            expect(calls).toEqual(new Array(2 * model.config.nLayers).fill(expected));
            model.dispose();
          }
        } finally {
          Object.assign(backend.fused, originals);
        }
      }));
  }
});
