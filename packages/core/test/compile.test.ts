/**
 * Capture (compile/) on the reference backend: a trace computes nothing, replaying it equals eager
 * execution (plain functions, variables read and assigned, a whole training step over 5 steps), graphs
 * are cached by signature, and host reads or variables made inside fail with a CaptureError naming the op.
 */
import { describe, expect, it } from "vitest";
import {
  AdamW, CaptureError, TransformerLM, add, captureStats, reshape, compile, compileTrainingStep, dispose, engine, exp, matmul, memory, mul, scalar, sum, tensor, tidy,
  valueAndGradsOf, variable, clipGradNorm,
} from "../src/index.ts";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(atol + rtol * Math.abs(b[i]));
};

describe("compile", () => {
  it("reports run time per graph, and the stats of disposed functions on request", () => {
    const g = compile((x: ReturnType<typeof tensor>) => mul(x, 2), { name: "released-stats-probe" });
    const x = tensor([1, 2, 3]);
    for (let i = 0; i < 3; i++) g(x).dispose();
    const live = g.stats().graphs[0];
    expect(live.runs).toBe(3);
    expect(live.runMs).toBeGreaterThan(0);
    expect(captureStats().some((s) => s.name === "released-stats-probe")).toBe(true);
    g.dispose();
    expect(captureStats().some((s) => s.name === "released-stats-probe")).toBe(false);
    const released = captureStats({ released: true }).filter((s) => s.name === "released-stats-probe");
    expect(released.map((s) => [s.calls, s.graphs[0].runs])).toEqual([[3, 3]]);
    x.dispose();
  });

  it("traces once per signature without computing, and replays equal to eager", () => {
    const f = (x: ReturnType<typeof tensor>, y: ReturnType<typeof tensor>) => exp(add(matmul(x, y), 1));
    const g = compile(f, { name: "f" });
    const x = tensor([[1, 2], [3, 4]]);
    const y = tensor([[0.1, -0.2], [0.3, 0.05]]);
    const buffers = engine.backend.numBuffers();
    const out = g(x, y);
    // The trace made no buffer: only the result exists now.
    expect(engine.backend.numBuffers()).toBe(buffers + 1);
    close(out.dataSync(), tidy(() => f(x, y)).dataSync());
    const again = g(y, x);
    close(again.dataSync(), tidy(() => f(y, x)).dataSync());
    expect(g.stats().graphs).toHaveLength(1);
    expect(g.stats().graphs[0].runs).toBe(2);
    const wide = tensor([[1, 2, 3], [4, 5, 6]]);
    g(x, wide).dispose();
    expect(g.stats().graphs).toHaveLength(2);
    expect(g.stats().calls).toBe(3);
    const [trace] = g.traces();
    expect(trace.nodes.map((n) => n.kernel)).toEqual(["MatMul", "Add", "Exp"]);
    expect(trace.inputs.map((i) => i.source.kind)).toEqual(["argument", "argument"]);
    dispose([out, again, x, y, wide]);
    g.dispose();
  });

  it("static arguments are part of the signature; results keep their structure", () => {
    const g = compile((x: ReturnType<typeof tensor>, k: number) => ({ scaled: mul(x, k), parts: [sum(x)] }));
    const x = tensor([1, 2, 3]);
    const a = g(x, 2);
    const b = g(x, 3);
    expect(Array.from(a.scaled.dataSync())).toEqual([2, 4, 6]);
    expect(Array.from(b.scaled.dataSync())).toEqual([3, 6, 9]);
    expect(b.parts[0].dataSync()[0]).toBe(6);
    expect(g.stats().graphs).toHaveLength(2);
    dispose([a, b, x]);
    g.dispose();
  });

  it("reads variables as inputs and writes assigned variables back after each run", () => {
    const w = variable(tensor([1, 2]), "w");
    const counter = compile((dx: ReturnType<typeof tensor>) => {
      const next = add(w, dx);
      w.assign(next);
      // After the assignment the function sees the new value.
      return mul(w, 10);
    });
    const dx = tensor([0.5, 0.5]);
    const first = counter(dx);
    expect(Array.from(w.dataSync())).toEqual([1.5, 2.5]);
    expect(Array.from(first.dataSync())).toEqual([15, 25]);
    const second = counter(dx);
    expect(Array.from(w.dataSync())).toEqual([2, 3]);
    expect(Array.from(second.dataSync())).toEqual([20, 30]);
    const [trace] = counter.traces();
    expect(trace.inputs.map((i) => i.name)).toEqual(["arg0", "w"]);
    expect(trace.assignments.map((a) => a.variable.name)).toEqual(["w"]);
    dispose([first, second, dx]);
    counter.dispose();
    w.dispose();
  });

  it("a host read inside a compiled function fails with a CaptureError naming the op", async () => {
    const x = tensor([1, 2]);
    const syncRead = compile((t: ReturnType<typeof tensor>) => {
      const y = mul(t, 2);
      if (y.dataSync()[0] > 0) return y;
      return t;
    }, { name: "syncRead" });
    expect(() => syncRead(x)).toThrow(CaptureError);
    expect(() => syncRead(x)).toThrow(/syncRead: host read inside a compiled function: tensor.dataSync\(\) on \[2\] f32, the output of kernel Mul/);
    const asyncRead = compile(async (t: ReturnType<typeof tensor>) => {
      const s = sum(exp(t));
      return (await s.data())[0];
    }, { name: "asyncRead" });
    expect(() => asyncRead(x)).toThrow(/asyncRead: host read inside a compiled function: await tensor.data\(\) on \[\] f32, the output of kernel Sum/);
    const makesVariable = compile((t: ReturnType<typeof tensor>) => variable(mul(t, 1), "fresh"));
    expect(() => makesVariable(x)).toThrow(/variable "fresh" was created inside a compiled function/);
    // Nothing of the failed captures stays behind.
    expect(engine.isTracing).toBe(false);
    x.dispose();
  });

  it("a training step (forward, backward, clipping, AdamW) captured equals eager over 5 steps, leaking nothing", () => {
    const config = { vocabSize: 12, dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 24, maxSeqLen: 8, seed: 3 };
    const eagerModel = new TransformerLM(config);
    const capturedModel = new TransformerLM(config);
    const eagerOpt = new AdamW(eagerModel.namedParameters(), { lr: 0.01, weightDecay: 0.1 });
    const capturedOpt = new AdamW(capturedModel.namedParameters(), { lr: 0.01, weightDecay: 0.1 });
    const batch = (i: number) => ({
      tokens: tensor(Int32Array.from({ length: 16 }, (_, j) => (j * 7 + i) % 12), [2, 8], "i32"),
      targets: tensor(Int32Array.from({ length: 16 }, (_, j) => (j * 5 + 2 * i) % 12), [2, 8], "i32"),
    });
    const before = memory().numTensors;
    const step = compileTrainingStep<{ tokens: ReturnType<typeof tensor>; targets: ReturnType<typeof tensor> }>({
      parameters: capturedModel.parameters(),
      optimizer: capturedOpt,
      loss: ({ tokens, targets }) => capturedModel.loss(tokens, targets),
      maxGradNorm: 1,
    });
    const lrs = [0.01, 0.02, 0.015, 0.01, 0.005];
    for (let i = 0; i < 5; i++) {
      const b = batch(i);
      const eagerLoss = tidy(() => {
        const { value, grads } = valueAndGradsOf(() => eagerModel.loss(b.tokens, b.targets), eagerModel.parameters());
        const clipped = clipGradNorm(grads, 1);
        // The same update as the captured step (hyperparameters as scalar tensors), run eagerly.
        eagerOpt.update(clipped.grads, { lr: scalar(lrs[i]), step: scalar(eagerOpt.stepCount + 1), corrections: tensor(eagerOpt.biasCorrections(), [2]) });
        eagerOpt.countStep(lrs[i]);
        return value;
      });
      const out = step([b], lrs[i]);
      close(out.loss.dataSync(), eagerLoss.dataSync(), 1e-5);
      dispose([out, eagerLoss, b]);
    }
    expect(capturedOpt.stepCount).toBe(5);
    const a = eagerModel.parameters();
    const c = capturedModel.parameters();
    a.forEach((p, i) => close(c[i].dataSync(), p.dataSync(), 1e-5, 1e-6));
    expect(step.stats().graphs).toHaveLength(1);
    expect(step.stats().graphs[0].assignments).toBe(3 * a.length);
    step.dispose();
    expect(memory().numTensors).toBe(before);
    for (const x of [eagerModel, capturedModel, eagerOpt, capturedOpt]) x.dispose();
  });

  it("a view of a variable (a reshaped weight) is read as the variable, so later assignments are seen", () => {
    const w = variable(tensor([1, 2, 3, 4]), "w");
    const g = compile((x: ReturnType<typeof tensor>) => matmul(x, reshape(w, [2, 2])));
    const x = tensor([[1, 1]]);
    const a = g(x);
    expect(Array.from(a.dataSync())).toEqual([4, 6]);
    const next = tensor([10, 20, 30, 40]);
    w.assign(next);
    const b = g(x);
    expect(Array.from(b.dataSync())).toEqual([40, 60]);
    expect(g.traces()[0].inputs.map((i) => i.source.kind)).toEqual(["argument", "variable"]);
    dispose([x, a, b, next, w]);
    g.dispose();
  });

  it("a temporary read from outside at trace time fails on replay instead of being replayed stale", () => {
    const x = tensor([1, 2]);
    let k = scalar(2);
    const g = compile((t: ReturnType<typeof tensor>) => mul(t, k), { name: "closure" });
    const first = g(x);
    expect(Array.from(first.dataSync())).toEqual([2, 4]);
    k.dispose();
    k = scalar(3);
    expect(() => g(x)).toThrow(/closure: tensor #\d+ \[\] f32, read from outside the function when it was traced, has been disposed since.*Pass values that change between calls as arguments/);
    dispose([x, first, k]);
    g.dispose();
  });

  it("scalar tensors carry values that change between runs of one graph", () => {
    const g = compile((x: ReturnType<typeof tensor>, k: ReturnType<typeof tensor>) => mul(x, k));
    const x = tensor([1, 2]);
    for (const k of [2, 5]) {
      const kt = scalar(k);
      const y = g(x, kt);
      expect(Array.from(y.dataSync())).toEqual([k, 2 * k]);
      dispose([y, kt]);
    }
    expect(g.stats().graphs).toHaveLength(1);
    x.dispose();
    g.dispose();
  });
});
