import { describe, expect, it } from "vitest";
import {
  type Backend,
  CausalSelfAttention,
  Embedding,
  Generator,
  Linear,
  ModelConfigError,
  Module,
  ModuleList,
  RMSNorm,
  StateDictError,
  SwiGLU,
  type Tensor,
  TransformerLM,
  type TransformerConfigInput,
  type Variable,
  createReferenceBackend,
  dispose,
  engine,
  memory,
  mul,
  neg,
  parseSafetensors,
  ropeFrequencies,
  ropeTables,
  serializeSafetensors,
  sum,
  tensor,
  tidy,
  transformerConfig,
  valueAndGradsOf,
} from "../src/index.ts";

/** Both ways a fused kernel can run: the reference backend's own loops, and core's composed fallback. */
const BACKENDS: [string, Backend][] = [
  ["fused reference kernels", createReferenceBackend()],
  ["composed fallbacks", createReferenceBackend({ fused: false })],
];

function set(v: Variable, values: number[]): void {
  const t = tensor(values, v.shape);
  v.assign(t);
  t.dispose();
}

function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`element ${i}: ${actual[i]} vs expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}

const SMALL: TransformerConfigInput = { vocabSize: 10, dim: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 12, maxSeqLen: 16 };

describe("Module", () => {
  class Pair extends Module {
    readonly a = this.addModule("a", new Linear(2, 3, { bias: true }));
    readonly items = this.addModule("items", new ModuleList([new RMSNorm(3), new RMSNorm(3)]));
  }

  it("names parameters by their dotted path, in registration order, and counts them", () => {
    const m = new Pair();
    expect([...m.namedParameters().keys()]).toEqual(["a.weight", "a.bias", "items.0.weight", "items.1.weight"]);
    expect(m.numParameters()).toBe(6 + 3 + 3 + 3);
    expect(m.parameters()).toHaveLength(4);
    m.dispose();
  });

  it("dispose frees every parameter", () => {
    const before = memory();
    const m = new Pair();
    expect(memory().numTensors).toBe(before.numTensors + 4);
    m.dispose();
    expect(memory()).toEqual(before);
  });
});

describe("TransformerLM parameters", () => {
  it("has HF-style names and the hand-computed counts", () => {
    const model = new TransformerLM(SMALL);
    const names = [...model.namedParameters().keys()];
    const layer = (i: number) =>
      [
        "input_layernorm.weight",
        "self_attn.q_proj.weight",
        "self_attn.k_proj.weight",
        "self_attn.v_proj.weight",
        "self_attn.o_proj.weight",
        "post_attention_layernorm.weight",
        "mlp.gate_proj.weight",
        "mlp.up_proj.weight",
        "mlp.down_proj.weight",
      ].map((n) => `model.layers.${i}.${n}`);
    expect(names).toEqual(["model.embed_tokens.weight", ...layer(0), ...layer(1), "model.norm.weight", "lm_head.weight"]);
    const shapes = Object.fromEntries([...model.namedParameters()].map(([n, v]) => [n, v.shape]));
    expect(shapes["model.layers.0.self_attn.q_proj.weight"]).toEqual([8, 8]); // nHeads * headDim(2) x dim
    expect(shapes["model.layers.0.self_attn.k_proj.weight"]).toEqual([4, 8]); // nKvHeads * headDim x dim
    expect(shapes["model.layers.1.mlp.down_proj.weight"]).toEqual([8, 12]);
    // per layer: norms 2*8, q 64, k 32, v 32, o 64, gate/up/down 3*96 = 496; embed 80, final norm 8, head 80
    expect(model.numParameters()).toBe(80 + 2 * 496 + 8 + 80);
    model.dispose();
  });

  it("ties embeddings: no lm_head, the head multiplies by the embedding matrix", () => {
    const tied = new TransformerLM({ ...SMALL, tieEmbeddings: true });
    expect([...tied.namedParameters().keys()]).not.toContain("lm_head.weight");
    expect(tied.numParameters()).toBe(80 + 2 * 496 + 8);
    tied.dispose();
  });

  it("adds q/k/v biases when asked", () => {
    const m = new TransformerLM({ ...SMALL, attentionBias: true });
    expect(m.numParameters()).toBe(80 + 2 * (496 + 8 + 4 + 4) + 8 + 80);
    expect([...m.namedParameters().keys()]).toContain("model.layers.1.self_attn.v_proj.bias");
    m.dispose();
  });

  it("initialises deterministically from the seed", () => {
    const a = new TransformerLM({ ...SMALL, seed: 5 });
    const b = new TransformerLM({ ...SMALL, seed: 5 });
    const c = new TransformerLM({ ...SMALL, seed: 6 });
    const w = (m: TransformerLM) => values(m.namedParameters().get("model.layers.1.mlp.up_proj.weight")!);
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    for (const m of [a, b, c]) m.dispose();
  });
});

describe("config validation", () => {
  it("fills defaults", () => {
    const c = transformerConfig(SMALL);
    expect(c).toMatchObject({ headDim: 2, normEps: 1e-6, ropeTheta: 10000, ropeInterleaved: false, tieEmbeddings: false, seed: 0 });
    expect(transformerConfig({ vocabSize: 4, dim: 8, nLayers: 1, nHeads: 2, interDim: 4 }).nKvHeads).toBe(2);
  });

  it.each([
    [{ nKvHeads: 3 }, /"nKvHeads" must be a divisor of nHeads \(4\), got 3/],
    [{ dim: 0 }, /"dim" must be a positive integer, got 0/],
    [{ nHeads: 3, nKvHeads: 1 }, /"nHeads" must be a divisor of dim \(8\)/],
    [{ headDim: 3 }, /"headDim" must be even/],
    [{ normEps: -1 }, /"normEps" must be a finite number > 0, got -1/],
    [{ ropeInterleaved: "yes" }, /"ropeInterleaved" must be true or false, got "yes"/],
    [{ nKVHeads: 2 }, /"nKVHeads" is not a known field/],
  ])("rejects %j", (override, message) => {
    expect(() => new TransformerLM({ ...SMALL, ...(override as object) } as TransformerConfigInput)).toThrow(ModelConfigError);
    expect(() => transformerConfig({ ...SMALL, ...(override as object) } as TransformerConfigInput)).toThrow(message);
  });
});

describe("layers: golden values", () => {
  it("Linear: x W^T + b", () => {
    const lin = new Linear(2, 3, { bias: true });
    set(lin.weight, [1, 2, 3, 4, 5, 6]);
    set(lin.bias!, [0.5, -1, 0]);
    const y = tidy(() => lin.forward(tensor([[1, -1]])));
    expect(y.shape).toEqual([1, 3]);
    expectClose(values(y), [1 - 2 + 0.5, 3 - 4 - 1, 5 - 6]);
    dispose(y);
    lin.dispose();
  });

  it("Linear init: normal with the configured std, from the generator", () => {
    const lin = new Linear(100, 50, { std: 0.5, generator: new Generator(1) });
    const w = values(lin.weight);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(std).toBeGreaterThan(0.47);
    expect(std).toBeLessThan(0.53);
    lin.dispose();
  });

  it("Embedding: rows by id", () => {
    const emb = new Embedding(3, 2);
    set(emb.weight, [0, 1, 10, 11, 20, 21]);
    const y = tidy(() => emb.forward(tensor(new Int32Array([2, 0, 2, 1]), [2, 2])));
    expect(y.shape).toEqual([2, 2, 2]);
    expect(values(y)).toEqual([20, 21, 0, 1, 20, 21, 10, 11]);
    dispose(y);
    emb.dispose();
  });

  it("RMSNorm: x / sqrt(mean(x^2) + eps) * w", () => {
    const norm = new RMSNorm(2, 1e-6);
    set(norm.weight, [1, 2]);
    const y = tidy(() => norm.forward(tensor([[3, 4]])));
    // mean(x^2) = 12.5
    expectClose(values(y), [3 / Math.sqrt(12.5 + 1e-6), (2 * 4) / Math.sqrt(12.5 + 1e-6)]);
    dispose(y);
    norm.dispose();
  });

  it("SwiGLU: down(silu(gate x) * up x)", () => {
    const mlp = new SwiGLU(1, 2);
    set(mlp.gate_proj.weight, [1, -1]);
    set(mlp.up_proj.weight, [2, 3]);
    set(mlp.down_proj.weight, [1, 1]);
    const y = tidy(() => mlp.forward(tensor([[2]])));
    const silu = (x: number) => x / (1 + Math.exp(-x));
    // gate x = [2, -2], up x = [4, 6]
    expectClose(values(y), [silu(2) * 4 + silu(-2) * 6]);
    expectClose(values(y), [5.615941559557648]);
    dispose(y);
    mlp.dispose();
  });

  it("RoPE tables: freq_j = theta^(-2j/d), angle = p * freq_j", () => {
    const freqs = ropeFrequencies({ headDim: 4, theta: 100, maxSeqLen: 8 });
    expectClose(freqs, [1, 0.1], 1e-12);
    const { cos, sin } = ropeTables(freqs, [0, 2]);
    expect(cos.shape).toEqual([2, 2]);
    expectClose(values(cos), [1, 1, Math.cos(2), Math.cos(0.2)], 1e-6);
    expectClose(values(sin), [0, 0, Math.sin(2), Math.sin(0.2)], 1e-6);
    dispose([cos, sin]);
  });
});

/** Attention of one module computed with plain loops: q/k/v projections, RoPE, causal softmax, o_proj. */
function naiveAttention(attn: CausalSelfAttention, x: number[][], freqs: Float64Array): number[][] {
  const { nHeads, nKvHeads, headDim: hd, ropeInterleaved } = attn.config;
  const w = (l: Linear) => values(l.weight);
  const project = (weights: number[], out: number, row: number[]) =>
    Array.from({ length: out }, (_, o) => row.reduce((acc, xi, i) => acc + xi * weights[o * row.length + i], 0));
  const rotate = (vec: number[], p: number) => {
    const out = [...vec];
    for (let j = 0; j < hd / 2; j++) {
      const [ia, ib] = ropeInterleaved ? [2 * j, 2 * j + 1] : [j, j + hd / 2];
      const c = Math.cos(p * freqs[j]);
      const s = Math.sin(p * freqs[j]);
      out[ia] = vec[ia] * c - vec[ib] * s;
      out[ib] = vec[ia] * s + vec[ib] * c;
    }
    return out;
  };
  const head = (vec: number[], h: number) => vec.slice(h * hd, (h + 1) * hd);
  const q = x.map((row) => project(w(attn.q_proj), nHeads * hd, row));
  const k = x.map((row) => project(w(attn.k_proj), nKvHeads * hd, row));
  const v = x.map((row) => project(w(attn.v_proj), nKvHeads * hd, row));
  const group = nHeads / nKvHeads;
  const heads = x.map((_, s) =>
    Array.from({ length: nHeads }, (_, h) => {
      const kvh = Math.floor(h / group); // contiguous query heads share a kv head (HF repeat_kv)
      const qs = rotate(head(q[s], h), s);
      const scores = Array.from({ length: s + 1 }, (_, t) => rotate(head(k[t], kvh), t).reduce((a, kj, j) => a + kj * qs[j], 0) / Math.sqrt(hd));
      const max = Math.max(...scores);
      const e = scores.map((z) => Math.exp(z - max));
      const total = e.reduce((a, b) => a + b, 0);
      return Array.from({ length: hd }, (_, j) => e.reduce((a, p, t) => a + (p / total) * head(v[t], kvh)[j], 0));
    }).flat(),
  );
  return heads.map((row) => project(w(attn.o_proj), attn.config.dim, row));
}

describe.each(BACKENDS)("attention and the model on %s", (_name, backend) => {
  const on = <T>(fn: () => T): T => engine.withBackend(backend, fn);

  it.each([false, true])("GQA attention equals plain loops (interleaved RoPE: %s)", (ropeInterleaved) =>
    on(() => {
      const attn = new CausalSelfAttention({ dim: 8, nHeads: 4, nKvHeads: 2, headDim: 4, ropeInterleaved }, { std: 0.4, generator: new Generator(3) });
      const g = new Generator(9);
      const x = Array.from({ length: 5 }, () => Array.from({ length: 8 }, () => g.normal()));
      const freqs = ropeFrequencies({ headDim: 4, theta: 10, maxSeqLen: 5 });
      const tables = ropeTables(freqs, 5);
      const y = tidy(() => attn.forward(tensor([x]), tables));
      expect(y.shape).toEqual([1, 5, 8]);
      expectClose(values(y), naiveAttention(attn, x, freqs).flat(), 1e-5, 1e-4);
      dispose([y, tables]);
      attn.dispose();
    }),
  );

  it("GQA attention equals multi-head attention with each kv head repeated for its query group", () =>
    on(() => {
      const cfg = { dim: 8, nHeads: 4, headDim: 2, ropeInterleaved: true };
      const gqa = new CausalSelfAttention({ ...cfg, nKvHeads: 2 }, { std: 0.5, generator: new Generator(1) });
      const mha = new CausalSelfAttention({ ...cfg, nKvHeads: 4 }, { std: 0.5, generator: new Generator(2) });
      const repeatRows = (w: number[]) => [0, 1, 2, 3].flatMap((h) => w.slice(Math.floor(h / 2) * 2 * 8, (Math.floor(h / 2) + 1) * 2 * 8));
      set(mha.q_proj.weight, values(gqa.q_proj.weight));
      set(mha.o_proj.weight, values(gqa.o_proj.weight));
      set(mha.k_proj.weight, repeatRows(values(gqa.k_proj.weight)));
      set(mha.v_proj.weight, repeatRows(values(gqa.v_proj.weight)));
      const tables = ropeTables(ropeFrequencies({ headDim: 2, theta: 1e4, maxSeqLen: 6 }), 6);
      const x = tidy(() => mul(tensor(Array.from({ length: 2 * 6 * 8 }, (_, i) => Math.sin(i * 0.7)), [2, 6, 8]), 2));
      const a = tidy(() => gqa.forward(x, tables));
      const b = tidy(() => mha.forward(x, tables));
      expectClose(values(a), values(b), 1e-6, 1e-5);
      dispose([a, b, x, tables]);
      gqa.dispose();
      mha.dispose();
    }),
  );

  it("is causal: changing a future token leaves earlier logits unchanged", () =>
    on(() => {
      const model = new TransformerLM({ ...SMALL, initStd: 0.3, seed: 2 });
      const a = tidy(() => model.forward(tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [1, 6])));
      const b = tidy(() => model.forward(tensor(new Int32Array([1, 2, 3, 4, 9, 6]), [1, 6])));
      expect(a.shape).toEqual([1, 6, 10]);
      const va = values(a);
      const vb = values(b);
      expect(vb.slice(0, 40)).toEqual(va.slice(0, 40)); // positions 0..3
      expect(vb.slice(40, 50)).not.toEqual(va.slice(40, 50)); // position 4 sees the change
      dispose([a, b]);
      model.dispose();
    }),
  );

  it("tokenLogProbs are log-softmax picks, and loss is their (masked) negative mean", () =>
    on(() => {
      const model = new TransformerLM({ ...SMALL, initStd: 0.3, seed: 4 });
      const tokens = tensor(new Int32Array([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4]);
      const targets = tensor(new Int32Array([2, 3, 4, 5, 6, 7, 8, 9]), [2, 4]);
      const mask = tensor([1, 1, 0, 0, 0, 1, 1, 1], [2, 4]);
      const [logits, lp, loss, masked] = tidy(() => [model.forward(tokens), model.tokenLogProbs(tokens, targets), model.loss(tokens, targets), model.loss(tokens, targets, mask)]);
      expect(lp.shape).toEqual([2, 4]);
      const l = values(logits);
      const t = values(targets);
      const expected = t.map((target, i) => {
        const row = l.slice(i * 10, (i + 1) * 10);
        const max = Math.max(...row);
        return row[target] - max - Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0));
      });
      expectClose(values(lp), expected, 1e-5);
      expectClose(values(loss), [-expected.reduce((a, b) => a + b, 0) / 8], 1e-5);
      expectClose(values(masked), [-(expected[0] + expected[1] + expected[5] + expected[6] + expected[7]) / 5], 1e-5);
      dispose([tokens, targets, mask, logits, lp, loss, masked]);
      model.dispose();
    }),
  );

  it("loss gradients match central finite differences", () =>
    on(() => {
      const model = new TransformerLM({ ...SMALL, nLayers: 1, initStd: 0.3, seed: 7, tieEmbeddings: true });
      const tokens = tensor(new Int32Array([1, 5, 2, 7, 3, 3]), [2, 3]);
      const targets = tensor(new Int32Array([5, 2, 7, 3, 3, 0]), [2, 3]);
      const params = model.namedParameters();
      const { value, grads } = valueAndGradsOf(() => model.loss(tokens, targets), [...params.values()]);
      const lossAt = () => tidy(() => model.loss(tokens, targets).itemSync());
      const h = 1e-2;
      [...params].forEach(([name, p], i) => {
        const base = values(p);
        const analytic = values(grads[i]);
        for (const j of [0, Math.floor(base.length / 2), base.length - 1]) {
          const shifted = (d: number) => {
            const w = [...base];
            w[j] += d;
            set(p, w);
            return lossAt();
          };
          const numeric = (shifted(h) - shifted(-h)) / (2 * h);
          set(p, base);
          if (Math.abs(numeric - analytic[j]) > 2e-3 + 2e-2 * Math.abs(numeric)) {
            throw new Error(`${name}[${j}]: analytic ${analytic[j]} vs numeric ${numeric}`);
          }
        }
      });
      dispose([value, grads, tokens, targets]);
      model.dispose();
    }),
  );
});

describe("state dict", () => {
  it("round-trips through safetensors into a differently initialised model", async () => {
    const a = new TransformerLM({ ...SMALL, seed: 1 });
    const b = new TransformerLM({ ...SMALL, seed: 2 });
    const bytes = serializeSafetensors(await a.stateDict());
    const { tensors } = parseSafetensors(bytes);
    expect(Object.keys(tensors)).toHaveLength(a.parameters().length);
    expect(b.loadStateDict(tensors)).toEqual({ missing: [], unexpected: [] });
    const tokens = tensor(new Int32Array([3, 1, 4, 1, 5]), [1, 5]);
    const [ya, yb] = tidy(() => [a.forward(tokens), b.forward(tokens)]);
    expect(values(yb)).toEqual(values(ya));
    dispose([tokens, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it("names missing, unexpected and mis-shaped keys", async () => {
    const model = new TransformerLM(SMALL);
    const record = await model.stateDict();
    const { ["model.norm.weight"]: _dropped, ...withoutNorm } = record;
    expect(() => model.loadStateDict(withoutNorm)).toThrow(StateDictError);
    expect(() => model.loadStateDict(withoutNorm)).toThrow(/missing keys.*model\.norm\.weight/);
    expect(() => model.loadStateDict({ ...record, "model.extra.weight": record["model.norm.weight"] })).toThrow(/unexpected keys.*model\.extra\.weight/);
    const wide = new TransformerLM({ ...SMALL, interDim: 16 });
    const wideRecord = await wide.stateDict();
    expect(() => model.loadStateDict(wideRecord)).toThrow(/mis-shaped keys: model\.layers\.0\.mlp\.gate_proj\.weight \(model \[12,8\] f32, state dict \[16,8\] f32\)/);
    // Non-strict: loads what matches and reports the rest; mis-shaped still fails.
    expect(model.loadStateDict({ ...withoutNorm, extra: record["model.norm.weight"] }, { strict: false })).toEqual({ missing: ["model.norm.weight"], unexpected: ["extra"] });
    expect(() => model.loadStateDict(wideRecord, { strict: false })).toThrow(StateDictError);
    model.dispose();
    wide.dispose();
  });

  it("the tied model's state dict has no lm_head and loads back", async () => {
    const a = new TransformerLM({ ...SMALL, tieEmbeddings: true, seed: 1 });
    const record = await a.stateDict();
    expect(Object.keys(record)).not.toContain("lm_head.weight");
    const b = new TransformerLM({ ...SMALL, tieEmbeddings: true, seed: 3 });
    b.loadStateDict(record);
    const tokens = tensor(new Int32Array([0, 9, 8]), [1, 3]);
    const [ya, yb] = tidy(() => [a.forward(tokens), b.forward(tokens)]);
    expect(values(yb)).toEqual(values(ya));
    dispose([tokens, ya, yb]);
    a.dispose();
    b.dispose();
  });
});

describe("checks", () => {
  it("rejects bad token tensors with a clear message", () => {
    const model = new TransformerLM(SMALL);
    const f = tensor([[1, 2]]);
    expect(() => model.forward(f)).toThrow(/tokens must be i32 \[batch, seq\], got f32 \[1,2\]/);
    const long = tensor(new Int32Array(17), [1, 17]);
    expect(() => model.forward(long)).toThrow(/17 tokens exceed maxSeqLen 16/);
    const tokens = tensor(new Int32Array(4), [1, 4]);
    const targets = tensor(new Int32Array(3), [1, 3]);
    expect(() => model.loss(tokens, targets)).toThrow(/targets must be i32 \[1,4\]/);
    dispose([f, long, tokens, targets]);
    model.dispose();
  });

  it("a forward pass leaves no tensors behind", () => {
    const model = new TransformerLM(SMALL);
    const tokens = tensor(new Int32Array([1, 2, 3]), [1, 3]);
    const before = memory();
    const y = model.forward(tokens);
    const lp = model.tokenLogProbs(tokens, tokens);
    const l = tidy(() => neg(sum(lp)));
    dispose([y, lp, l]);
    expect(memory()).toEqual(before);
    tokens.dispose();
    model.dispose();
  });
});
