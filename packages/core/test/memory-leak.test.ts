import { describe, expect, it } from "vitest";
import {
  AdamW,
  Generator,
  type Tensor,
  TransformerLM,
  clipGradNorm,
  createReferenceBackend,
  engine,
  memory,
  tensor,
  tidy,
  valueAndGradsOf,
} from "../src/index.ts";

describe.each([
  ["fused reference kernels", createReferenceBackend()],
  ["composed fallbacks", createReferenceBackend({ fused: false })],
])("a full training step leaks nothing (%s)", (_name, backend) => {
  it("memory().numTensors and numBuffers stay constant after warm-up, and return to the start after dispose", () =>
    engine.withBackend(backend, () => {
      const start = memory();
      const model = new TransformerLM({ vocabSize: 12, dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 32, maxSeqLen: 8, tieEmbeddings: true });
      const params = model.namedParameters();
      const optimizer = new AdamW(params, { lr: 1e-3 });
      const rng = new Generator(0);
      const [b, s] = [2, 8];

      const step = (): number => {
        const loss = tidy(() => {
          const tokens = tensor(Int32Array.from({ length: b * s }, () => rng.int(12)), [b, s]);
          const targets = tensor(Int32Array.from({ length: b * s }, () => rng.int(12)), [b, s]);
          const mask = tensor(Array.from({ length: b * s }, (_, i) => (i % 3 === 0 ? 0 : 1)), [b, s]);
          const { value, grads } = valueAndGradsOf(() => model.loss(tokens, targets, mask), [...params.values()]);
          const { grads: clipped, totalNorm } = clipGradNorm(grads, 1);
          optimizer.step(clipped);
          totalNorm.dataSync();
          return value as Tensor;
        });
        const value = loss.itemSync();
        loss.dispose();
        return value;
      };

      step();
      step();
      const warm = memory();
      const counts: { numTensors: number; numBuffers: number }[] = [];
      for (let i = 0; i < 3; i++) {
        expect(Number.isFinite(step())).toBe(true);
        const { numTensors, numBuffers } = memory();
        counts.push({ numTensors, numBuffers });
      }
      for (const c of counts) expect(c).toEqual({ numTensors: warm.numTensors, numBuffers: warm.numBuffers });

      optimizer.dispose();
      model.dispose();
      expect(memory()).toEqual(start);
    }),
  );
});
