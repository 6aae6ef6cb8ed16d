/**
 * A captured training step on ONNX Runtime (one graph: forward, backward, clipping, AdamW) against the
 * same step run eagerly kernel by kernel: losses and weights after 5 steps agree within 1e-5 (relative
 * to each tensor's largest value), one graph serves every step, and nothing leaks.
 */
import { afterAll, describe, expect, it } from "vitest";
import { AdamW, TransformerLM, type Tensor, clipGradNorm, compileTrainingStep, dispose, engine, memory, scalar, tensor, tidy, valueAndGradsOf } from "@r1ts/core";
import { createOnnxBackend } from "../src/index.ts";
import { relClose } from "./rel-close.ts";

const backend = createOnnxBackend({ intraOpThreads: 2 });
afterAll(() => backend.destroy?.());


interface Batch { tokens: Tensor; targets: Tensor; mask: Tensor }

describe("captured training step on onnx", () => {
  it("5 steps of a GQA model: captured = eager within 1e-5, one graph", () => {
    engine.withBackend(backend, () => {
      const config = { vocabSize: 16, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 48, maxSeqLen: 16, seed: 11 };
      const eagerModel = new TransformerLM(config);
      const capturedModel = new TransformerLM(config);
      const eagerOpt = new AdamW(eagerModel.namedParameters(), { lr: 0.01, weightDecay: 0.05 });
      const capturedOpt = new AdamW(capturedModel.namedParameters(), { lr: 0.01, weightDecay: 0.05 });
      const before = memory().numTensors;
      const step = compileTrainingStep<Batch>({
        parameters: capturedModel.parameters(),
        optimizer: capturedOpt,
        loss: ({ tokens, targets, mask }) => capturedModel.loss(tokens, targets, mask),
        maxGradNorm: 1,
      });
      const makeBatch = (i: number): Batch => ({
        tokens: tensor(Int32Array.from({ length: 3 * 12 }, (_, j) => (j * 7 + i) % 16), [3, 12], "i32"),
        targets: tensor(Int32Array.from({ length: 3 * 12 }, (_, j) => (j * 3 + 5 * i) % 16), [3, 12], "i32"),
        mask: tensor(Float32Array.from({ length: 3 * 12 }, (_, j) => (j % 12 < 2 ? 0 : 1)), [3, 12], "f32"),
      });
      for (let i = 0; i < 5; i++) {
        const micro = [makeBatch(i), makeBatch(i + 7)];
        const lr = 0.01 * (1 + i / 4);
        const eagerLoss = tidy(() => {
          let total: Tensor | undefined;
          let grads: Tensor[] | undefined;
          for (const b of micro) {
            const out = valueAndGradsOf(() => eagerModel.loss(b.tokens, b.targets, b.mask), eagerModel.parameters());
            total = total ? engine.runKernel("Add", [total, out.value], {})[0] : out.value;
            grads = grads ? grads.map((g, k) => engine.runKernel("Add", [g, out.grads[k]], {})[0]) : out.grads;
          }
          const clipped = clipGradNorm(grads!, 1);
          // The ordinary eager optimizer step (the fused AdamW kernel).
          eagerOpt.step(clipped.grads, { lr });
          return total!;
        });
        const out = step(micro, lr);
        relClose(out.loss.dataSync(), eagerLoss.dataSync(), 1e-5);
        dispose([out, eagerLoss, micro]);
      }
      const eagerParams = eagerModel.parameters();
      capturedModel.parameters().forEach((p, i) => relClose(p.dataSync(), eagerParams[i].dataSync(), 1e-5));
      const stats = step.stats();
      expect(stats.graphs).toHaveLength(1);
      expect(stats.graphs[0].mode).toBe("graph");
      expect(stats.graphs[0].runs).toBe(5);
      step.dispose();
      expect(memory().numTensors).toBe(before);
      for (const x of [eagerModel, capturedModel, eagerOpt, capturedOpt]) x.dispose();
    });
  }, 60_000);
});
