/**
 * Training on tfjs: a step leaves no tensor behind (tfjs's count and r1ts's), and the tiny-LM example
 * runs on "tfjs" by changing only its backend name, with the reference backend's loss curve.
 */
import * as tfCore from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { AdamW, Generator, TransformerLM, clipGradNorm, engine, memory, setBackend, tensor, tidy, valueAndGradsOf } from "@r1ts/core";
import type { Backend } from "@r1ts/core";
import { trainTinyLm } from "../../../examples/train-tiny-lm.ts";
import { createTfjsBackendOn } from "./helpers.ts";

async function leakCheck(device: "wasm" | "cpu"): Promise<void> {
  const backend: Backend = await createTfjsBackendOn({ device });
  engine.useBackend(backend);
  try {
    const model = new TransformerLM({ vocabSize: 11, dim: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, interDim: 32, maxSeqLen: 8, seed: 1 });
    const params = model.namedParameters();
    const optimizer = new AdamW(params, { lr: 1e-2 });
    const rng = new Generator(3);
    const step = async (): Promise<number> => {
      const ids = Int32Array.from({ length: 2 * 8 }, () => rng.int(11));
      const loss = tidy(() => {
        const { value, grads } = valueAndGradsOf(() => model.loss(tensor(ids, [2, 8]), tensor(ids.map((v) => (v + 1) % 11), [2, 8])), [...params.values()]);
        optimizer.step(clipGradNorm(grads, 1).grads);
        return value;
      });
      const [v] = await loss.data();
      loss.dispose();
      return v;
    };
    await step(); // the first step creates the optimizer's moments
    const tfBefore = tfCore.memory().numTensors;
    const buffersBefore = backend.numBuffers();
    const r1tsBefore = memory().numTensors;
    for (let i = 0; i < 2; i++) expect(Number.isFinite(await step())).toBe(true);
    expect(tfCore.memory().numTensors).toBe(tfBefore);
    expect(backend.numBuffers()).toBe(buffersBefore);
    expect(memory().numTensors).toBe(r1tsBefore);
    optimizer.dispose();
    model.dispose();
  } finally {
    await setBackend("reference");
  }
  expect(backend.numBuffers()).toBe(0);
}

describe("memory", () => {
  it("a training step (forward, backward, clipping, AdamW) leaves tf.memory().numTensors unchanged on wasm", () => leakCheck("wasm"));
  it("and on cpu", () => leakCheck("cpu"));
});

describe("examples/train-tiny-lm on tfjs", () => {
  it("matches the reference backend's loss curve for the first steps with the same seed", async () => {
    const options = { steps: 6, runDir: null, logEvery: 0, prompts: [] };
    const reference = await trainTinyLm({ ...options, backend: "reference" });
    const tfjs = await trainTinyLm({ ...options, backend: "tfjs" });
    await setBackend("reference");
    expect(tfjs.losses).toHaveLength(6);
    // Same initial weights and batches: the curves agree to f32 rounding, and both go down.
    if (process.env.R1TS_PRINT_LOSSES) console.log(JSON.stringify({ reference: reference.losses, tfjs: tfjs.losses }));
    tfjs.losses.forEach((loss, i) => expect(Math.abs(loss - reference.losses[i])).toBeLessThan(1e-4 * reference.losses[i]));
    expect(tfjs.losses[5]).toBeLessThan(tfjs.losses[0]);
  });
});
