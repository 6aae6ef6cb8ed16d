/**
 * Training on webgpu: the live-buffer count and the GPU buffers actually allocated stay flat over 100
 * training steps (the pool reuses every buffer), and the tiny-LM example runs on "webgpu" by changing
 * only its backend name, with the reference backend's losses for the first steps.
 */
import { afterAll, describe, expect, it } from "vitest";
import { AdamW, Generator, TransformerLM, clipGradNorm, engine, getBackend, memory, setBackend, tensor, tidy, valueAndGradsOf } from "@r1ts/core";
import { trainTinyLm } from "../../../examples/train-tiny-lm.ts";
import { createWebGPUBackend, webgpuUnavailableReason } from "../src/index.ts";

const unavailable = await webgpuUnavailableReason();
if (unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu tests, but: ${unavailable}`);
const describeGpu = unavailable === undefined ? describe : describe.skip;
if (unavailable !== undefined) console.log(`webgpu training tests skipped: ${unavailable}`);

describeGpu("training on webgpu", () => {
  afterAll(async () => {
    await setBackend("reference");
    (await getBackend("webgpu").catch(() => undefined))?.destroy?.();
  });

  it("keeps live buffers and GPU allocations flat over 100 steps (forward, backward, clipping, AdamW)", async () => {
    const backend = await createWebGPUBackend();
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
      const first = await step(); // creates the optimizer's moments
      const buffers = backend.numBuffers();
      const tensors = memory().numTensors;
      const gpu = backend.runtime.pool.stats().gpuBuffers;
      const reads = backend.runtime.queue.stats.reads;
      let last = first;
      for (let i = 0; i < 100; i++) {
        last = await step();
        expect(backend.numBuffers()).toBe(buffers);
        expect(memory().numTensors).toBe(tensors);
      }
      expect(backend.runtime.pool.stats().gpuBuffers).toBe(gpu);
      // One read-back per step: the loss the caller asked for, nothing inside the step.
      expect(backend.runtime.queue.stats.reads - reads).toBe(100);
      expect(last).toBeLessThan(first);
      optimizer.dispose();
      model.dispose();
      expect(backend.numBuffers()).toBe(0);
    } finally {
      await setBackend("reference");
      backend.destroy();
    }
  });

  it("examples/train-tiny-lm matches the reference backend's losses for the first steps", async () => {
    const options = { steps: 6, runDir: null, logEvery: 0, prompts: [] };
    const reference = await trainTinyLm({ ...options, backend: "reference" });
    const webgpu = await trainTinyLm({ ...options, backend: "webgpu" });
    await setBackend("reference");
    if (process.env.R1TS_PRINT_LOSSES) console.log(JSON.stringify({ reference: reference.losses, webgpu: webgpu.losses }));
    expect(webgpu.losses).toHaveLength(6);
    // Same initial weights and batches: the curves agree to f32 rounding, and both go down.
    webgpu.losses.forEach((loss, i) => expect(Math.abs(loss - reference.losses[i])).toBeLessThan(1e-4 * reference.losses[i]));
    expect(webgpu.losses[5]).toBeLessThan(webgpu.losses[0]);
  });
});
