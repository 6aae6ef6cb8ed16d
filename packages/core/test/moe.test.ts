import { describe, expect, it } from "vitest";
import { expectClose } from "./expect-close.ts";
import {
  AdamW,
  add,
  Generator,
  MoE,
  MoEGate,
  type Tensor,
  type Variable,
  createTrainerHooks,
  dispose,
  maxOverMean,
  memory,
  moeGates,
  mul,
  sum,
  tapMoeBiasUpdate,
  tensor,
  tidy,
  updateMoeBiases,
  valueAndGradsOf,
} from "../src/index.ts";

const values = (t: Tensor): number[] => Array.from(t.dataSync());

function set(v: Variable, data: number[]): void {
  const t = tensor(data, v.shape);
  v.assign(t);
  t.dispose();
}

function randn(n: number, seed: number, std = 1): number[] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => std * g.normal());
}

/** docs/moe.md routing for one token, in plain JS: [indices, weights]. */
function routeByHand(
  logits: number[],
  { k, score, bias, groups = 1, topGroups = 1, routeScale = 1 }: { k: number; score: "softmax" | "sigmoid"; bias?: number[]; groups?: number; topGroups?: number; routeScale?: number },
): [number[], number[]] {
  const e = logits.length;
  let s: number[];
  if (score === "sigmoid") s = logits.map((z) => 1 / (1 + Math.exp(-z)));
  else {
    const m = Math.max(...logits);
    const ex = logits.map((z) => Math.exp(z - m));
    const total = ex.reduce((a, b) => a + b, 0);
    s = ex.map((z) => z / total);
  }
  const sel = s.map((v, i) => v + (bias?.[i] ?? 0));
  const per = e / groups;
  const groupScore = Array.from({ length: groups }, (_, g) => {
    const member = sel.slice(g * per, (g + 1) * per).sort((a, b) => b - a);
    return member[0] + member[1];
  });
  const keptGroups = groupScore.map((v, g) => [v, g]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, groups > 1 ? topGroups : groups).map(([, g]) => g);
  const candidates = sel.map((v, i) => [v, i]).filter(([, i]) => groups === 1 || keptGroups.includes(Math.floor(i / per)));
  const idx = candidates.sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map(([, i]) => i);
  let w = idx.map((i) => s[i]);
  if (score === "sigmoid") {
    const total = w.reduce((a, b) => a + b, 0);
    w = w.map((v) => v / total);
  }
  return [idx, w.map((v) => v * routeScale)];
}

describe("MoEGate (docs/moe.md)", () => {
  it("softmax scores, top-K, unnormalised weights", () => {
    const gate = new MoEGate({ dim: 3, nRoutedExperts: 5, nActivatedExperts: 2, scoreFunc: "softmax" }, { std: 1, generator: new Generator(1) });
    expect(gate.e_score_correction_bias).toBeUndefined();
    const xs = randn(4 * 3, 2);
    const w = values(gate.weight);
    const x = tensor(xs, [4, 3]);
    const r = tidy(() => gate.route(x));
    for (let t = 0; t < 4; t++) {
      const logits = Array.from({ length: 5 }, (_, e) => [0, 1, 2].reduce((a, j) => a + xs[t * 3 + j] * w[e * 3 + j], 0));
      const [idx, wt] = routeByHand(logits, { k: 2, score: "softmax" });
      expect(values(r.indices).slice(t * 2, t * 2 + 2)).toEqual(idx);
      expectClose(values(r.weights).slice(t * 2, t * 2 + 2), wt);
    }
    dispose([x, r]);
    gate.dispose();
  });

  it("sigmoid scores: the bias changes which experts are chosen, not their weights; weights renormalised and scaled", () => {
    const gate = new MoEGate({ dim: 2, nRoutedExperts: 4, nActivatedExperts: 2, scoreFunc: "sigmoid", routeScale: 2.5 });
    set(gate.weight, [1, 0, 0.5, 0, 0, 0, -1, 0]); // logits for x = [2, 0]: 2, 1, 0, -2
    const x = tensor([2, 0], [1, 2]);
    const plain = tidy(() => gate.route(x));
    expect(values(plain.indices)).toEqual([0, 1]);
    const s = [2, 1].map((z) => 1 / (1 + Math.exp(-z)));
    expectClose(values(plain.weights), s.map((v) => (2.5 * v) / (s[0] + s[1])));
    // A bias of +1 on expert 3 (s = 0.12) lifts it above expert 1 (s = 0.73) for selection only.
    set(gate.e_score_correction_bias!, [0, 0, 0, 1]);
    const biased = tidy(() => gate.route(x));
    expect(values(biased.indices)).toEqual([3, 0]);
    const s3 = 1 / (1 + Math.exp(2));
    expectClose(values(biased.weights), [s3, s[0]].map((v) => (2.5 * v) / (s3 + s[0])));
    dispose([x, plain, biased]);
    gate.dispose();
  });

  it("group-limited routing: groups scored by their top-2 (s + b), only the best groups compete", () => {
    const cfg = { dim: 4, nRoutedExperts: 8, nActivatedExperts: 2, nExpertGroups: 4, nLimitedGroups: 2, scoreFunc: "sigmoid" as const, routeScale: 1.5 };
    const gate = new MoEGate(cfg, { std: 1, generator: new Generator(3) });
    const bias = randn(8, 4, 0.3);
    set(gate.e_score_correction_bias!, bias);
    const xs = randn(16 * 4, 5);
    const w = values(gate.weight);
    const x = tensor(xs, [16, 4]);
    const r = tidy(() => gate.route(x));
    let differsFromGlobal = 0;
    for (let t = 0; t < 16; t++) {
      const logits = Array.from({ length: 8 }, (_, e) => [0, 1, 2, 3].reduce((a, j) => a + xs[t * 4 + j] * w[e * 4 + j], 0));
      const [idx, wt] = routeByHand(logits, { k: 2, score: "sigmoid", bias, groups: 4, topGroups: 2, routeScale: 1.5 });
      const [globalIdx] = routeByHand(logits, { k: 2, score: "sigmoid", bias });
      if (globalIdx.join() !== idx.join()) differsFromGlobal++;
      expect(values(r.indices).slice(t * 2, t * 2 + 2)).toEqual(idx);
      expectClose(values(r.weights).slice(t * 2, t * 2 + 2), wt);
    }
    expect(differsFromGlobal).toBeGreaterThan(0); // the group limit mattered for some tokens
    dispose([x, r]);
    gate.dispose();
  });

  it("rejects inconsistent configs", () => {
    expect(() => new MoEGate({ dim: 2, nRoutedExperts: 4, nActivatedExperts: 5 })).toThrow(/exceeds nRoutedExperts/);
    expect(() => new MoEGate({ dim: 2, nRoutedExperts: 6, nActivatedExperts: 2, nExpertGroups: 4 })).toThrow(/must divide/);
    expect(() => new MoEGate({ dim: 2, nRoutedExperts: 8, nActivatedExperts: 4, nExpertGroups: 4, nLimitedGroups: 1 })).toThrow(/cannot supply 4 experts/);
  });
});

describe("MoE layer", () => {
  const CFG = { dim: 4, moeInterDim: 3, nRoutedExperts: 4, nActivatedExperts: 2, nSharedExperts: 1, scoreFunc: "sigmoid" as const, routeScale: 2, balanceLossAlpha: 0.1 };

  it("y = sum_k w_k Expert_k(x) + Shared(x), with HF DeepSeek-V3 parameter names", () => {
    const moe = new MoE(CFG, { std: 0.5, generator: new Generator(6) });
    expect([...moe.namedParameters().keys()]).toEqual([
      "gate.weight", "gate.e_score_correction_bias",
      ...[0, 1, 2, 3].flatMap((e) => ["gate_proj", "up_proj", "down_proj"].map((p) => `experts.${e}.${p}.weight`)),
      "shared_experts.gate_proj.weight", "shared_experts.up_proj.weight", "shared_experts.down_proj.weight",
    ]);
    set(moe.gate.e_score_correction_bias!, [0.05, -0.02, 0, 0.1]);
    const x = tensor(randn(2 * 3 * 4, 7), [2, 3, 4]);
    const y = tidy(() => moe.forward(x));
    const rows = tensor(values(x), [6, 4]);
    const r = tidy(() => moe.gate.route(rows));
    const outs = tidy(() => [...moe.experts].map((e) => e.forward(rows)));
    const shared = tidy(() => moe.shared_experts!.forward(rows));
    const [idx, wt, sh] = [values(r.indices), values(r.weights), values(shared)];
    const expected = Array.from({ length: 24 }, (_, i) => {
      const t = Math.floor(i / 4);
      const d = i % 4;
      return sh[i] + [0, 1].reduce((a, k) => a + wt[t * 2 + k] * values(outs[idx[t * 2 + k]])[t * 4 + d], 0);
    });
    expectClose(values(y), expected);
    dispose([x, y, rows, r, outs, shared]);
    moe.gate.takeLoad()?.dispose();
    moe.dispose();
  });

  it("sparse dispatch (each expert on its tokens) equals dense dispatch, values and gradients", () => {
    const moe = new MoE({ ...CFG, nRoutedExperts: 8, nActivatedExperts: 2 }, { std: 0.5, generator: new Generator(15) });
    const x = tensor(randn(2 * 5 * 4, 16), [2, 5, 4]);
    const target = tensor(randn(40, 17), [2, 5, 4]);
    const run = (dispatch: "sparse" | "dense") => {
      moe.dispatch = dispatch;
      return valueAndGradsOf(() => sum(mul(moe.forward(x, { countLoad: false }), target)), [x, ...moe.parameters()]);
    };
    const sparse = run("sparse");
    const dense = run("dense");
    expectClose([sparse.value.itemSync()], [dense.value.itemSync()], 1e-6, 1e-6);
    sparse.grads.forEach((g, i) => expectClose(values(g), values(dense.grads[i]), 1e-6, 1e-5));
    dispose([x, target, sparse.value, sparse.grads, dense.value, dense.grads]);
    moe.dispose();
  });

  it("the sequence-wise balance loss is alpha * sum_i f_i P_i per sequence, averaged", () => {
    const moe = new MoE(CFG, { std: 0.5, generator: new Generator(8) });
    const [b, s] = [2, 5];
    const x = tensor(randn(b * s * 4, 9), [b, s, 4]);
    const aux: Tensor[] = [];
    const [y, bal] = tidy(() => [moe.forward(x, { auxLosses: aux }), ...aux]);
    expect(aux).toHaveLength(1);
    expect(bal).toBe(aux[0]);
    const routed = tidy(() => moe.gate.route(tensor(values(x), [b * s, 4])));
    const scores = values(routed.scores);
    dispose(routed);
    let expected = 0;
    for (let q = 0; q < b; q++) {
      const f = new Array<number>(4).fill(0);
      const p = new Array<number>(4).fill(0);
      for (let t = 0; t < s; t++) {
        const row = scores.slice((q * s + t) * 4, (q * s + t + 1) * 4);
        const top = row.map((v, i) => [v, i]).sort((u, v) => v[0] - u[0]).slice(0, 2).map(([, i]) => i);
        top.forEach((i) => (f[i] += 4 / (2 * s)));
        const total = row.reduce((u, v) => u + v, 0);
        row.forEach((v, i) => (p[i] += v / total / s));
      }
      expected += (0.1 * f.reduce((a, fi, i) => a + fi * p[i], 0)) / b;
    }
    expectClose(values(bal), [expected], 1e-7, 1e-5);
    dispose([x, y, bal]);
    moe.gate.takeLoad()?.dispose();
    moe.dispose();
  });

  it("gradients match finite differences; the routing bias gets none and AdamW leaves it alone", () => {
    const moe = new MoE({ ...CFG, balanceLossAlpha: 0.5 }, { std: 0.5, generator: new Generator(10) });
    set(moe.gate.e_score_correction_bias!, [0.01, 0.02, -0.03, 0]);
    const x = tensor(randn(1 * 4 * 4, 11), [1, 4, 4]);
    const target = tensor(randn(16, 12), [1, 4, 4]);
    const loss = () => {
      const aux: Tensor[] = [];
      const main = sum(mul(moe.forward(x, { auxLosses: aux, countLoad: false }), target));
      expect(aux).toHaveLength(1);
      return add(main, aux[0]);
    };
    const params = moe.parameters();
    const { value, grads } = valueAndGradsOf(loss, params);
    const bias = moe.gate.e_score_correction_bias!;
    expect(values(grads[params.indexOf(bias)]).every((g) => g === 0)).toBe(true);
    for (const p of [moe.gate.weight, moe.experts.at(1).up_proj.weight, moe.shared_experts!.down_proj.weight]) {
      const base = values(p);
      const g = values(grads[params.indexOf(p)]);
      for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (d: number) => {
          set(p, base.map((v, j) => (j === i ? v + d : v)));
          const l = tidy(loss);
          const out = l.itemSync();
          l.dispose();
          return out;
        };
        const fd = (at(1e-3) - at(-1e-3)) / 2e-3;
        set(p, base);
        expect(Math.abs(g[i] - fd)).toBeLessThan(2e-3 + 1e-2 * Math.abs(fd));
      }
    }
    const opt = new AdamW(moe.namedParameters(), { lr: 0.1, weightDecay: 0.5 });
    const before = values(bias);
    opt.step(grads);
    expect(values(bias)).toEqual(before);
    expect(values(moe.gate.weight)).not.toEqual(values(grads[0]));
    dispose([x, target, value, grads]);
    moe.dispose();
  });
});

describe("auxiliary-loss-free balancing", () => {
  it("moves each bias by -gamma when overloaded, +gamma when underloaded, 0 at the mean; counts restart", async () => {
    const moe = new MoE({ dim: 2, moeInterDim: 2, nRoutedExperts: 4, nActivatedExperts: 1, nSharedExperts: 0, scoreFunc: "sigmoid" });
    set(moe.gate.weight, [1, 0, 0, 1, -1, 0, 0, -1]); // x = [1, 0] -> expert 0, [0, 1] -> 1, [-1, 0] -> 2
    const x = tensor([1, 0, 1, 0, 0, 1, -1, 0], [1, 4, 2]); // loads: 2, 1, 1, 0 (mean 1)
    tidy(() => moe.forward(x, { countLoad: true })).dispose(); // a training forward counts the loads
    const hooks = createTrainerHooks();
    const seen: number[][] = [];
    tapMoeBiasUpdate(hooks, moe, { gamma: 0.01, onUpdate: (r) => seen.push(r) });
    await hooks.afterStep.promise({ step: 0, trainer: "sft", control: {} as never, metrics: {} });
    expectClose(values(moe.gate.e_score_correction_bias!), [-0.01, 0, 0, 0.01], 1e-9, 0);
    expect(seen).toEqual([[2]]);
    expect(await updateMoeBiases(moe)).toEqual([]); // nothing counted since
    x.dispose();
    moe.dispose();
  });

  it("experiment: a skewed router's max/mean expert load falls as the bias updates run", async () => {
    // 8 sigmoid experts, top-2, 256 tokens a step; experts 0 and 1 start with a large head start.
    const moe = new MoE({ dim: 8, moeInterDim: 4, nRoutedExperts: 8, nActivatedExperts: 2, nSharedExperts: 0, scoreFunc: "sigmoid" }, { std: 0.3, generator: new Generator(13) });
    const w = values(moe.gate.weight).map((v, i) => (i < 16 ? v + 0.5 : v));
    set(moe.gate.weight, w);
    const g = new Generator(14);
    const ratios: number[] = [];
    const before = memory().numTensors;
    for (let step = 0; step < 60; step++) {
      const x = tensor(Array.from({ length: 256 * 8 }, () => 0.5 + g.normal()), [256, 8]);
      dispose(tidy(() => moe.gate.route(x, { countLoad: true }))); // the experts do not change the loads
      x.dispose();
      ratios.push(...(await updateMoeBiases(moe, 0.01)));
    }
    expect(memory().numTensors).toBe(before);
    const first = ratios[0];
    const last = ratios.slice(-10).reduce((a, b) => a + b, 0) / 10;
    console.log(`MoE balance experiment: max/mean load ${first.toFixed(3)} at step 0, ${last.toFixed(3)} averaged over steps 50-59`);
    expect(first).toBeGreaterThan(2.5);
    expect(last).toBeLessThan(1.5);
    expect(maxOverMean([1, 1, 1, 1])).toBe(1);
    moe.dispose();
  });

  it("moeGates finds every gate in a module tree", () => {
    const moe = new MoE({ dim: 2, moeInterDim: 2, nRoutedExperts: 2, nActivatedExperts: 1, nSharedExperts: 1 });
    expect(moeGates(moe)).toEqual([moe.gate]);
    moe.dispose();
  });
});
