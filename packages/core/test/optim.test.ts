import { describe, expect, it } from "vitest";
import {
  AdamW,
  type Tensor,
  type Variable,
  clipGradNorm,
  constantSchedule,
  cosineSchedule,
  dispose,
  linearSchedule,
  memory,
  tensor,
  variable,
} from "../src/index.ts";

function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]), `element ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(atol);
}

describe("AdamW", () => {
  // lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay 0.01; p0 = [1, -2]; g1 = [0.5, -1]; g2 = [0.1, 0.2].
  // Step 1: m = 0.1 g1 = [0.05, -0.1], v = 0.001 g1^2 = [0.00025, 0.001]; m^ = g1, v^ = g1^2, so
  //   m^ / (sqrt(v^) + eps) = [1, -1] (to 1e-8); p1 = p0 - 0.1 ([1, -1] + 0.01 p0) = [0.899, -1.898].
  // Step 2: m = 0.9 m + 0.1 g2 = [0.055, -0.07]; v = 0.999 v + 0.001 g2^2 = [0.00025975, 0.001039];
  //   m^ = m / 0.19 = [0.289474, -0.368421]; v^ = v / 0.001999 = [0.129940, 0.519760];
  //   p2 = p1 - 0.1 (m^ / (sqrt(v^) + eps) + 0.01 p1) = [0.8177969, -1.8449994].
  const options = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

  it("matches hand-computed values for two steps with decoupled weight decay", () => {
    const p = variable(tensor([1, -2]), "p");
    const opt = new AdamW(new Map([["p", p]]), options);
    const g1 = tensor([0.5, -1]);
    const g2 = tensor([0.1, 0.2]);
    opt.step(new Map([["p", g1]]));
    expectClose(values(p), [0.899, -1.898]);
    opt.step([g2]);
    expectClose(values(p), [0.8177969063826518, -1.8449993939894946]);
    expect(opt.stepCount).toBe(2);
    dispose([p, g1, g2]);
    opt.dispose();
  });

  it("skips weight decay for parameters the filter excludes, and takes lr per step", () => {
    const w = variable(tensor([[1, -2]]), "w");
    const b = variable(tensor([1, -2]), "b");
    const opt = new AdamW(new Map<string, Variable>([["w", w], ["b", b]]), { ...options, lr: 1, decay: (_name, p) => p.rank >= 2 });
    const g = tensor([0.5, -1]);
    const gw = tensor([[0.5, -1]]);
    opt.step([gw, g], { lr: 0.1 });
    expect(opt.lr).toBe(0.1);
    expectClose(values(w), [0.899, -1.898]);
    expectClose(values(b), [0.9, -1.9]); // no decay term
    dispose([w, b, g, gw]);
    opt.dispose();
  });

  it("state() / loadState() resume exactly", async () => {
    const grads = [tensor([0.3, -0.2, 0.7]), tensor([-0.5, 0.1, 0.4]), tensor([0.2, 0.2, -0.9])];
    const pa = variable(tensor([0.1, 0.2, 0.3]), "p");
    const a = new AdamW([pa], options);
    a.step([grads[0]]);
    const saved = await a.state();
    const savedParam = values(pa);
    expect(Object.keys(saved.tensors).sort()).toEqual(["exp_avg.0", "exp_avg_sq.0"]);
    expect(saved.state).toMatchObject({ type: "adamw", step: 1, lr: 0.1 });
    a.step([grads[1]]);
    a.step([grads[2]]);

    const pb = variable(tensor(savedParam), "p");
    const b = new AdamW([pb], { ...options, lr: 0.5 });
    b.loadState(saved);
    expect(b.stepCount).toBe(1);
    expect(b.lr).toBe(0.1);
    b.step([grads[1]]);
    b.step([grads[2]]);
    expect(values(pb)).toEqual(values(pa));
    dispose([pa, pb, grads]);
    a.dispose();
    b.dispose();
  });

  it("rejects mismatched gradients and state with clear messages", async () => {
    const p = variable(tensor([1, 2]), "p");
    const opt = new AdamW(new Map([["p", p]]), options);
    const wrong = tensor([1, 2, 3]);
    expect(() => opt.step(new Map([["q", wrong]]))).toThrow(/missing: p; unknown: q/);
    expect(() => opt.step([wrong])).toThrow(/gradient of "p" is \[3\] f32, parameter is \[2\] f32/);
    expect(() => opt.step([])).toThrow(/got 0 gradients for 1 parameters/);
    const state = await opt.state();
    expect(() => opt.loadState({ ...state, tensors: { "exp_avg.p": state.tensors["exp_avg.p"] } })).toThrow(/missing exp_avg_sq\.p/);
    expect(() => new AdamW([p], { lr: -1 })).toThrow(/invalid lr -1/);
    dispose([p, wrong]);
    opt.dispose();
  });

  it("leaves no tensors behind", () => {
    const p = variable(tensor([1, 2]), "p");
    const g = tensor([0.1, 0.1]);
    const opt = new AdamW([p], options);
    opt.step([g]);
    const before = memory();
    opt.step([g]);
    opt.step([g]);
    expect(memory()).toEqual(before);
    opt.dispose();
    dispose([p, g]);
  });
});

describe("clipGradNorm", () => {
  it("scales by maxNorm / total when the global norm is larger", () => {
    const grads = [tensor([3, 4]), tensor([[12]])]; // total = sqrt(9 + 16 + 144) = 13
    const { grads: clipped, totalNorm } = clipGradNorm(grads, 6.5);
    expectClose(values(totalNorm), [13], 1e-5);
    expectClose(values(clipped[0]), [1.5, 2], 1e-5);
    expectClose(values(clipped[1]), [6], 1e-5);
    expect(clipped[1].shape).toEqual([1, 1]);
    expect(values(grads[0])).toEqual([3, 4]); // inputs untouched
    dispose([grads, clipped, totalNorm]);
  });

  it("leaves gradients below the limit unchanged and keeps map keys", () => {
    const grads = new Map([["a", tensor([3, 4])], ["b", tensor([0])]]);
    const { grads: clipped, totalNorm } = clipGradNorm(grads, 100);
    expect([...clipped.keys()]).toEqual(["a", "b"]);
    expectClose(values(clipped.get("a")!), [3, 4], 1e-5);
    expectClose(values(totalNorm), [5], 1e-6);
    dispose([[...grads.values()], [...clipped.values()], totalNorm]);
  });

  it("rejects a non-positive maxNorm", () => {
    expect(() => clipGradNorm([], 0)).toThrow(/maxNorm must be a finite number > 0/);
  });
});

describe("learning-rate schedules", () => {
  it("constant, with optional warm-up", () => {
    const s = constantSchedule(0.3);
    expect([0, 1, 1000].map(s)).toEqual([0.3, 0.3, 0.3]);
    const w = constantSchedule(1, { warmupSteps: 4 });
    expect([0, 1, 3, 4, 100].map(w)).toEqual([0.25, 0.5, 1, 1, 1]);
  });

  it("linear warm-up then linear decay to minLr", () => {
    const s = linearSchedule({ lr: 1, warmupSteps: 10, totalSteps: 110, minLr: 0.1 });
    const at = [0, 4, 9, 10, 35, 60, 110, 500].map(s);
    expectClose(at, [0.1, 0.5, 1, 1, 0.775, 0.55, 0.1, 0.1], 1e-12);
  });

  it("cosine warm-up then half a cosine to minLr", () => {
    const s = cosineSchedule({ lr: 1, warmupSteps: 10, totalSteps: 110, minLr: 0.1 });
    // progress p = (step - 10) / 100; lr = 0.1 + 0.45 (1 + cos(pi p))
    const at = [0, 9, 10, 35, 60, 85, 110, 500].map(s);
    expectClose(at, [0.1, 1, 1, 0.1 + 0.45 * (1 + Math.SQRT1_2), 0.55, 0.1 + 0.45 * (1 - Math.SQRT1_2), 0.1, 0.1], 1e-12);
    expect(cosineSchedule({ lr: 2, totalSteps: 4 })(0)).toBe(2); // no warm-up: starts at the peak
  });

  it("validates its arguments", () => {
    expect(() => cosineSchedule({ lr: 1, warmupSteps: 10, totalSteps: 5 })).toThrow(/totalSteps \(5\) must be >= warmupSteps \(10\)/);
    expect(() => linearSchedule({ lr: 0.1, totalSteps: 5, minLr: 1 })).toThrow(/minLr \(1\) must not exceed lr/);
    expect(() => constantSchedule(1)(-1)).toThrow(/step must be an integer >= 0/);
  });
});
