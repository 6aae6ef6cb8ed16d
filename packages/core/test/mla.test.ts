import { describe, expect, it } from "vitest";
import { expectClose } from "./expect-close.ts";
import {
  type Backend,
  Generator,
  KVCache,
  type MLAConfig,
  MultiHeadLatentAttention,
  type Tensor,
  attention,
  concat,
  createReferenceBackend,
  dispose,
  engine,
  memory,
  mlaDecodeAttention,
  reshape,
  slice,
  ropeFrequencies,
  ropeTables,
  sum,
  tensor,
  tidy,
  valueAndGradsOf,
  mul,
} from "../src/index.ts";

const BACKENDS: [string, Backend][] = [
  ["fused reference kernels", createReferenceBackend()],
  ["composed fallbacks", createReferenceBackend({ fused: false })],
];

const values = (t: Tensor): number[] => Array.from(t.dataSync());

const BASE: MLAConfig = { dim: 8, nHeads: 3, qLoraRank: 5, kvLoraRank: 6, qkNopeHeadDim: 4, qkRopeHeadDim: 2, vHeadDim: 3 };

/** MLA for one sequence x [S][dim] with plain loops, straight from docs/mla.md (naive form). */
function mlaLoops(m: MultiHeadLatentAttention, x: number[][], freqs: Float64Array): number[][] {
  const { nHeads: h, qLoraRank, kvLoraRank: r, qkNopeHeadDim: dn, qkRopeHeadDim: dr, vHeadDim: dv } = m.config;
  const w = (l: { weight: Tensor }) => values(l.weight);
  const project = (weights: number[], out: number, row: number[]) => Array.from({ length: out }, (_, o) => row.reduce((a, xi, i) => a + xi * weights[o * row.length + i], 0));
  const rms = (v: number[], g: number[]) => {
    const k = 1 / Math.sqrt(v.reduce((a, z) => a + z * z, 0) / v.length + 1e-6);
    return v.map((z, i) => z * k * g[i]);
  };
  const rotate = (v: number[], p: number) => {
    const out = [...v];
    for (let j = 0; j < v.length / 2; j++) {
      const [c, s] = [Math.cos(p * freqs[j]), Math.sin(p * freqs[j])];
      out[2 * j] = v[2 * j] * c - v[2 * j + 1] * s;
      out[2 * j + 1] = v[2 * j] * s + v[2 * j + 1] * c;
    }
    return out;
  };
  const qs = x.map((row) => (qLoraRank === 0 ? project(w(m.q_proj!), h * (dn + dr), row) : project(w(m.q_b_proj!), h * (dn + dr), rms(project(w(m.q_a_proj!), qLoraRank, row), w(m.q_a_layernorm!)))));
  const kva = x.map((row) => project(w(m.kv_a_proj_with_mqa), r + dr, row));
  const c = kva.map((v) => rms(v.slice(0, r), w(m.kv_a_layernorm)));
  const kpe = kva.map((v, t) => rotate(v.slice(r), t));
  const kvb = c.map((v) => project(w(m.kv_b_proj), h * (dn + dv), v));
  const scale = 1 / Math.sqrt(dn + dr);
  return x.map((_, s) => {
    const o = Array.from({ length: h }, (_, hh) => {
      const qn = qs[s].slice(hh * (dn + dr), hh * (dn + dr) + dn);
      const qp = rotate(qs[s].slice(hh * (dn + dr) + dn, (hh + 1) * (dn + dr)), s);
      const scores = Array.from({ length: s + 1 }, (_, t) => {
        const kn = kvb[t].slice(hh * (dn + dv), hh * (dn + dv) + dn);
        return (qn.reduce((a, z, i) => a + z * kn[i], 0) + qp.reduce((a, z, i) => a + z * kpe[t][i], 0)) * scale;
      });
      const max = Math.max(...scores);
      const e = scores.map((z) => Math.exp(z - max));
      const total = e.reduce((a, b) => a + b, 0);
      return Array.from({ length: dv }, (_, j) => e.reduce((a, p, t) => a + (p / total) * kvb[t][hh * (dn + dv) + dn + j], 0));
    }).flat();
    return project(w(m.o_proj), m.config.dim, o);
  });
}

function inputs(b: number, s: number, dim: number, seed: number): number[] {
  const g = new Generator(seed);
  return Array.from({ length: b * s * dim }, () => g.normal());
}

describe.each(BACKENDS)("MLA on %s", (_name, backend) => {
  const on = <T>(fn: () => T): T => engine.withBackend(backend, fn);

  it.each([5, 0])("the naive and absorbed paths both equal plain loops of docs/mla.md (qLoraRank %d)", (qLoraRank) =>
    on(() => {
      const m = new MultiHeadLatentAttention({ ...BASE, qLoraRank }, { std: 0.5, generator: new Generator(qLoraRank + 1) });
      const s = 5;
      const freqs = ropeFrequencies({ headDim: 2, theta: 10, maxSeqLen: s });
      const tables = ropeTables(freqs, s);
      const xs = inputs(1, s, 8, 2);
      const x = tensor(xs, [1, s, 8]);
      const rows = Array.from({ length: s }, (_, i) => xs.slice(i * 8, (i + 1) * 8));
      const expected = mlaLoops(m, rows, freqs).flat();
      const naive = tidy(() => m.forward(x, tables, "naive"));
      const absorbed = tidy(() => m.forward(x, tables, "absorbed"));
      expectClose(values(naive), expected);
      expectClose(values(absorbed), expected);
      dispose([x, tables, naive, absorbed]);
      m.dispose();
    }),
  );

  it.each([true, false])("token-by-token decoding equals the full forward pass (latent cache: %s)", (absorb) =>
    on(() => {
      const m = new MultiHeadLatentAttention({ ...BASE, absorb }, { std: 0.5, generator: new Generator(4) });
      const [b, s] = [2, 6];
      const tables = ropeTables(ropeFrequencies({ headDim: 2, theta: 1e4, maxSeqLen: s }), s);
      const x = tensor(inputs(b, s, 8, 3), [b, s, 8]);
      const full = tidy(() => m.forward(x, tables));
      const cache = new KVCache(1);
      const got: number[][] = [[], []];
      for (const [from, to] of [[0, 2], [2, 3], [3, 4], [4, 5], [5, 6]]) {
        const y = tidy(() => {
          const part = slice(x, [0, from, 0], [b, to - from, 8]);
          const t = ropeTables(ropeFrequencies({ headDim: 2, theta: 1e4, maxSeqLen: s }), Array.from({ length: to - from }, (_, j) => from + j));
          const out = m.forwardCached(part, { tables: t, cachedLength: from }, cache.layer(0));
          cache.length = to;
          return out;
        });
        const v = values(y);
        for (let r = 0; r < b; r++) got[r].push(...v.slice(r * (to - from) * 8, (r + 1) * (to - from) * 8));
        y.dispose();
      }
      const f = values(full);
      expectClose([...got[0], ...got[1]], f);
      // The latent cache holds kvLoraRank + qkRopeHeadDim values per token; the naive one H * (dn + dr + dv).
      expect(cache.valuesPerTokenPerLayer()).toBe(absorb ? 6 + 2 : 3 * (4 + 2 + 3));
      expect([...(cache.get(0, absorb ? "c" : "k")?.shape ?? [])]).toEqual(absorb ? [2, 6, 6] : [2, 3, 6, 6]);
      cache.dispose();
      dispose([x, tables, full]);
      m.dispose();
    }),
  );

  it("mlaDecodeAttention is MQA with keys [c ; k_pe] (d_k = Dc + Dr) and values c", () =>
    on(() => {
      const [b, h, t, dc, dr] = [2, 3, 5, 6, 4];
      const g = new Generator(7);
      const rand = (shape: number[]) => tensor(Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => g.normal()), shape);
      const qLat = rand([b, h, dc]);
      const qPe = rand([b, h, dr]);
      const c = rand([b, t, dc]);
      const kPe = rand([b, t, dr]);
      const out = tidy(() => mlaDecodeAttention(qLat, qPe, c, kPe, 0.3));
      const mqa = tidy(() => {
        const q = reshape(concat([qLat, qPe], 2), [b, h, 1, dc + dr]);
        const k = reshape(concat([c, kPe], 2), [b, 1, t, dc + dr]);
        return reshape(attention(q, k, reshape(c, [b, 1, t, dc]), { scale: 0.3, causal: false }), [b, h, dc]);
      });
      expect(out.shape).toEqual([b, h, dc]);
      expectClose(values(out), values(mqa));
      // And by hand for row 0, head 0.
      const [ql, qp, cv, kv] = [qLat, qPe, c, kPe].map(values);
      const scores = Array.from({ length: t }, (_, j) => {
        let z = 0;
        for (let i = 0; i < dc; i++) z += ql[i] * cv[j * dc + i];
        for (let i = 0; i < dr; i++) z += qp[i] * kv[j * dr + i];
        return z * 0.3;
      });
      const e = scores.map((z) => Math.exp(z - Math.max(...scores)));
      const total = e.reduce((p, q) => p + q, 0);
      expectClose(values(out).slice(0, dc), Array.from({ length: dc }, (_, i) => e.reduce((a, p, j) => a + (p / total) * cv[j * dc + i], 0)));
      expect(() => mlaDecodeAttention(qLat, qPe, c, rand([b, t, dr + 2]), 1)).toThrow(/rope widths/);
      dispose([qLat, qPe, c, kPe, out, mqa]);
    }),
  );

  it("gradients of both paths agree and match finite differences", () =>
    on(() => {
      const m = new MultiHeadLatentAttention({ ...BASE, qLoraRank: 0, dim: 4, nHeads: 2, kvLoraRank: 3 }, { std: 0.5, generator: new Generator(9) });
      const tables = ropeTables(ropeFrequencies({ headDim: 2, theta: 1e4, maxSeqLen: 3 }), 3);
      const x = tensor(inputs(1, 3, 4, 5), [1, 3, 4]);
      const target = tensor(inputs(1, 3, 4, 6), [1, 3, 4]);
      const params = m.parameters();
      const lossOf = (path: "naive" | "absorbed") => () => sum(mul(m.forward(x, tables, path), target));
      const naive = valueAndGradsOf(lossOf("naive"), params);
      const absorbed = valueAndGradsOf(lossOf("absorbed"), params);
      naive.grads.forEach((gr, i) => expectClose(values(absorbed.grads[i]), values(gr), 1e-5, 1e-3));
      // Central differences on a few entries of kv_b_proj (used differently by the two paths).
      const w = m.kv_b_proj.weight;
      const base = values(w);
      const wIndex = params.indexOf(w);
      for (const i of [0, 7, 13, base.length - 1]) {
        const at = (delta: number) => {
          const t = tensor(base.map((v, j) => (j === i ? v + delta : v)), w.shape);
          w.assign(t);
          t.dispose();
          const l = tidy(lossOf("naive"));
          const v = l.itemSync();
          l.dispose();
          return v;
        };
        const fd = (at(1e-2) - at(-1e-2)) / 2e-2;
        expect(Math.abs(values(naive.grads[wIndex])[i] - fd)).toBeLessThan(2e-3 + 1e-2 * Math.abs(fd));
      }
      const t = tensor(base, w.shape);
      w.assign(t);
      dispose([t, x, target, tables, naive.value, naive.grads, absorbed.value, absorbed.grads]);
      m.dispose();
    }),
  );
});

describe("MLA parameters", () => {
  it("has HF DeepSeek-V3 names and shapes, with and without query compression", () => {
    const before = memory().numTensors;
    const m = new MultiHeadLatentAttention(BASE);
    const shapes = Object.fromEntries([...m.namedParameters()].map(([k, v]) => [k, [...v.shape]]));
    expect(shapes).toEqual({
      "q_a_proj.weight": [5, 8],
      "q_a_layernorm.weight": [5],
      "q_b_proj.weight": [3 * 6, 5],
      "kv_a_proj_with_mqa.weight": [6 + 2, 8],
      "kv_a_layernorm.weight": [6],
      "kv_b_proj.weight": [3 * (4 + 3), 6],
      "o_proj.weight": [8, 9],
    });
    m.dispose();
    const plain = new MultiHeadLatentAttention({ ...BASE, qLoraRank: 0 });
    expect([...plain.namedParameters().keys()][0]).toBe("q_proj.weight");
    plain.dispose();
    expect(memory().numTensors).toBe(before);
    expect(() => new MultiHeadLatentAttention({ ...BASE, qkRopeHeadDim: 3 })).toThrow(/must be even/);
  });
});
