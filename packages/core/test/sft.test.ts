/**
 * SFT: prompt tokens are masked out of the loss, micro-batches accumulate to the full-batch gradient,
 * the trainer learns a tiny mapping, and a resumed run continues exactly.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SFTTrainer, type SequenceRow, TransformerLM, memory, packSequences, SftError } from "../src/index.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// Prompt [1, k] -> completion [k + 4, 0]: the model must map the prompt's second token to the answer.
const ROWS: SequenceRow[] = [2, 3, 4, 5].map((k) => ({ prompt: [1, k], completion: [k + 4, 0] }));
const model = (seed = 0) => new TransformerLM({ vocabSize: 10, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 8, seed });

describe("packSequences", () => {
  it("right-pads, shifts targets by one and masks everything but completion tokens", () => {
    const b = packSequences([{ prompt: [1, 2, 3], completion: [4, 0] }, { prompt: [1], completion: [5, 6, 0] }], { padId: 0 });
    expect(b.width).toBe(4);
    expect(Array.from(b.inputs)).toEqual([1, 2, 3, 4, 1, 5, 6, 0]);
    expect(Array.from(b.targets)).toEqual([2, 3, 4, 0, 5, 6, 0, 0]);
    // Row 0 predicts 4 and 0 (positions 2, 3); row 1 predicts 5, 6, 0 (positions 0..2); position 3 of row 1 is padding.
    expect(Array.from(b.mask)).toEqual([0, 0, 1, 1, 1, 1, 1, 0]);
    expect(b.activeTokens).toBe(5);
    const withPrompt = packSequences([{ prompt: [1, 2, 3], completion: [4, 0] }], { includePrompt: true });
    expect(Array.from(withPrompt.mask)).toEqual([1, 1, 1, 1]);
  });
});

describe("SFT trainer", () => {
  it("learns the mapping: completion loss falls below 0.1, leaking no tensors", async () => {
    const before = memory().numTensors;
    const m = model();
    const trainer = new SFTTrainer(m, ROWS, { steps: 80, batchSize: 8, lr: 0.03, seed: 1 }, ROWS);
    const start = await trainer.evalLoss();
    await trainer.train();
    const end = await trainer.evalLoss();
    expect(start).toBeGreaterThan(1);
    expect(end).toBeLessThan(0.1);
    trainer.dispose();
    m.dispose();
    expect(memory().numTensors).toBe(before);
  }, 60_000);

  it("gradient accumulation: 4 micro-batches give the same step as one batch", async () => {
    const a = model();
    const b = model();
    const one = new SFTTrainer(a, ROWS, { steps: 1, batchSize: 8, lr: 0.01, seed: 3 });
    const four = new SFTTrainer(b, ROWS, { steps: 1, batchSize: 8, gradientAccumulation: 4, lr: 0.01, seed: 3 });
    const [m1] = await one.train();
    const [m4] = await four.train();
    expect(m4.loss).toBeCloseTo(m1.loss, 5);
    expect(m4.gradNorm).toBeCloseTo(m1.gradNorm, 4);
    const wa = await a.stateDict();
    const wb = await b.stateDict();
    for (const name of Object.keys(wa)) {
      const x = wa[name].data;
      const y = wb[name].data;
      for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(x[i], 5);
    }
    for (const t of [one, four]) t.dispose();
    a.dispose();
    b.dispose();
  });

  it("resumes from a checkpoint with the same losses as an unbroken run", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-sft-"));
    dirs.push(dir);
    const straight = new SFTTrainer(model(), ROWS, { steps: 6, batchSize: 4, lr: 0.01, seed: 5 });
    const expected = (await straight.train()).map((h) => h.loss);
    straight.dispose();
    straight.model.dispose();
    const first = new SFTTrainer(model(), ROWS, { steps: 3, batchSize: 4, lr: 0.01, seed: 5 });
    await first.train();
    await first.save(dir, { note: "sft test" });
    first.dispose();
    first.model.dispose();
    const second = new SFTTrainer(model(7), ROWS, { steps: 6, batchSize: 4, lr: 0.01, seed: 5 });
    await second.resume(dir);
    const losses = (await second.train()).map((h) => h.loss);
    expect(losses).toEqual(expected);
    second.dispose();
    second.model.dispose();
  });

  it("rejects bad options and rows naming them", () => {
    const m = model();
    expect(() => new SFTTrainer(m, ROWS, { steps: 1, batchSize: 6, gradientAccumulation: 4, lr: 0.01 })).toThrow(/gradientAccumulation must be a positive divisor of batchSize \(6\), got 4/);
    expect(() => new SFTTrainer(m, [], { steps: 1, batchSize: 1, lr: 0.01 })).toThrow(SftError);
    expect(() => new SFTTrainer(m, [{ prompt: [1, 2, 3, 4, 5, 6, 7], completion: [1, 2, 3] }], { steps: 1, batchSize: 1, lr: 0.01 })).toThrow(/row 0 has 10 tokens/);
    m.dispose();
  });
});
