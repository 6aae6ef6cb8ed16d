/**
 * Logit-level distillation: the KL term against values computed from the formula, its gradient against
 * the closed form T (p_S - p_T) and finite differences, the combined loss, and the distillation trainer
 * (the student's KL to the teacher falls; a resumed run ends with the same weights; one vocabulary only).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DistillationError, DistillationTrainer, Generator, TransformerLM, distillationLoss, klDivergence, memory, mul, setBackend, sum, tensor,
  tidy, valueAndGradsOf, variable, type SequenceRow,
} from "../src/index.ts";

const softmax = (z: number[], t: number) => {
  const m = Math.max(...z.map((v) => v / t));
  const e = z.map((v) => Math.exp(v / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const kl = (teacher: number[], student: number[], t: number) => {
  const p = softmax(teacher, t);
  const q = softmax(student, t);
  return p.reduce((a, pi, i) => a + pi * Math.log(pi / q[i]), 0);
};

const T_LOGITS = [[0, Math.log(2), -1], [1, 1, 3]];
const S_LOGITS = [[0, 0, 0.5], [2, 0, -1]];

beforeAll(async () => {
  await setBackend("reference");
});

describe("logit KL", () => {
  it("matches KL(p_T || p_S) of the softened distributions", async () => {
    for (const t of [1, 2, 0.5]) {
      const got = await tidy(() => klDivergence(tensor(T_LOGITS), tensor(S_LOGITS), t)).array() as number[];
      got.forEach((v, i) => expect(v).toBeCloseTo(kl(T_LOGITS[i], S_LOGITS[i], t), 6));
    }
    // KL(p || p) = 0 and KL >= 0.
    const same = await tidy(() => klDivergence(tensor(T_LOGITS), tensor(T_LOGITS), 1.5)).data();
    for (const v of same) expect(Math.abs(v)).toBeLessThan(1e-6);
  });

  it("has the gradient T (p_S - p_T) after the T^2 factor, and agrees with finite differences", async () => {
    const t = 2;
    const s = variable(tensor(S_LOGITS), "s");
    const { value, grads } = valueAndGradsOf(() => mul(sum(klDivergence(tensor(T_LOGITS), s, t)), t * t), [s]);
    const g = (await grads[0].array()) as number[][];
    S_LOGITS.forEach((row, i) => {
      const p = softmax(T_LOGITS[i], t);
      const q = softmax(row, t);
      row.forEach((_, j) => expect(g[i][j]).toBeCloseTo(t * (q[j] - p[j]), 5));
    });
    const h = 1e-3;
    const f = (z: number[][]) => t * t * z.reduce((a, row, i) => a + kl(T_LOGITS[i], row, t), 0);
    S_LOGITS.forEach((row, i) => row.forEach((_, j) => {
      const up = S_LOGITS.map((r) => [...r]);
      const down = S_LOGITS.map((r) => [...r]);
      up[i][j] += h;
      down[i][j] -= h;
      expect(g[i][j]).toBeCloseTo((f(up) - f(down)) / (2 * h), 4);
    }));
    value.dispose();
    grads[0].dispose();
    s.dispose();
  });

  it("adds weight * T^2 * masked-mean KL to the masked-mean cross-entropy", async () => {
    // One sequence of two positions, the second masked out; vocabulary of 3.
    const logits = [[S_LOGITS[0], S_LOGITS[1]]];
    const teacher = [[T_LOGITS[0], T_LOGITS[1]]];
    const targets = [[2, 0]];
    const { loss, ce, kl: k } = tidy(() => distillationLoss(tensor(logits), tensor(teacher), tensor(targets, undefined, "i32"), tensor([[1, 0]]), 1, { klWeight: 0.3, temperature: 2 }));
    const logSumExp = Math.log(S_LOGITS[0].reduce((a, v) => a + Math.exp(v), 0));
    const expectedCe = logSumExp - S_LOGITS[0][2];
    const expectedKl = kl(T_LOGITS[0], S_LOGITS[0], 2);
    expect((await ce.data())[0]).toBeCloseTo(expectedCe, 5);
    expect((await k.data())[0]).toBeCloseTo(expectedKl, 5);
    expect((await loss.data())[0]).toBeCloseTo(expectedCe + 0.3 * 4 * expectedKl, 5);
    for (const x of [loss, ce, k]) x.dispose();
  });
});

describe("DistillationTrainer", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "r1ts-distill-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const V = 12;
  const model = (seed: number, dim = 16, initStd = 0.02) => new TransformerLM({ vocabSize: V, dim, nLayers: 1, nHeads: 2, interDim: 2 * dim, maxSeqLen: 16, seed, initStd });
  const rng = new Generator(2);
  const rows: SequenceRow[] = Array.from({ length: 16 }, () => ({
    prompt: Array.from({ length: 3 }, () => 1 + rng.int(V - 1)),
    completion: Array.from({ length: 5 }, () => 1 + rng.int(V - 1)),
  }));
  const config = { steps: 30, batchSize: 8, lr: 2e-2, klWeight: 1, temperature: 1, seed: 4 };

  it("pulls the student's next-token distributions towards the teacher's (more than SFT alone), leaking no tensors", async () => {
    const before = memory().numTensors;
    // A peaked teacher (large initial weights), so that its distributions are far from a fresh student's.
    const teacher = model(1, 24, 0.5);
    const run = async (klWeight: number) => {
      const student = model(2);
      const trainer = new DistillationTrainer(student, teacher, rows, { ...config, klWeight });
      const history = await trainer.train();
      trainer.dispose();
      student.dispose();
      return history;
    };
    const distilled = await run(4);
    const sftOnly = await run(0);
    const mean = (h: typeof distilled) => h.reduce((a, x) => a + x.kl, 0) / h.length;
    expect(mean(distilled.slice(-3))).toBeLessThan(0.5 * mean(distilled.slice(0, 3)));
    expect(mean(distilled.slice(-3))).toBeLessThan(0.5 * mean(sftOnly.slice(-3)));
    for (const h of distilled) expect(h.loss).toBeCloseTo(h.ce + 4 * h.kl, 4);
    for (const h of sftOnly) expect(h.loss).toBeCloseTo(h.ce, 5);
    teacher.dispose();
    expect(memory().numTensors).toBe(before);
  }, 60_000);

  it("resumes from a checkpoint exactly, and refuses models with different vocabularies", async () => {
    const teacher = model(1, 24);
    const whole = model(2);
    const a = new DistillationTrainer(whole, teacher, rows, { ...config, steps: 4 });
    await a.train();
    const half = model(2);
    const b = new DistillationTrainer(half, teacher, rows, { ...config, steps: 4 });
    await b.trainStep();
    b.step = 1;
    await b.trainStep();
    b.step = 2;
    await b.save(join(dir, "ckpt"), {});
    const again = model(2);
    const c = new DistillationTrainer(again, teacher, rows, { ...config, steps: 4 });
    await c.resume(join(dir, "ckpt"));
    await c.train();
    expect(c.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    const wa = await whole.stateDict();
    const wc = await again.stateDict();
    for (const name of Object.keys(wa)) expect(Array.from(wc[name].data as Float32Array)).toEqual(Array.from(wa[name].data as Float32Array));
    expect(() => new DistillationTrainer(model(3), new TransformerLM({ vocabSize: V + 1, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 16 }), rows, config)).toThrow(DistillationError);
    for (const t of [a, b, c]) t.dispose();
    for (const m of [teacher, whole, half, again]) m.dispose();
  }, 60_000);
});
