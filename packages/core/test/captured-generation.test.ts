/**
 * Shape-stable decoding: a preallocated cache written at a column input, one captured decode step for
 * the whole generation, prompts padded to a bucket. Tokens equal eager generation's (same seed) for
 * GQA and both MLA paths, with sampling filters, and the graphs are few and reused.
 */
import { describe, expect, it } from "vitest";
import { TransformerLM, type TransformerConfigInput, captureStats, generate, lengthBucket, memory, releaseCapturedDecoding } from "../src/index.ts";

const PROMPTS = [[3, 1, 4], [1, 5, 9, 2, 6], [5], [3, 5, 8, 9]];

const MODELS: [string, TransformerConfigInput][] = [
  ["GQA", { vocabSize: 11, dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 24, maxSeqLen: 32, initStd: 0.3, seed: 1 }],
  ["MLA absorbed", { vocabSize: 11, dim: 16, nLayers: 2, nHeads: 2, interDim: 24, maxSeqLen: 32, initStd: 0.3, seed: 2, attention: "mla", kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, qLoraRank: 0 }],
  ["MLA naive", { vocabSize: 11, dim: 16, nLayers: 2, nHeads: 2, interDim: 24, maxSeqLen: 32, initStd: 0.3, seed: 3, attention: "mla", kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, qLoraRank: 0, mlaAbsorb: false }],
];

describe("captured decoding over a static cache", () => {
  for (const [name, config] of MODELS) {
    it(`${name}: the same tokens and log-probs as eager generation, one decode graph for every step`, async () => {
      const model = new TransformerLM(config);
      const before = memory().numTensors;
      for (const sampling of [{ temperature: 0 }, { temperature: 1 }, { temperature: 0.8, topP: 0.9, topK: 6 }]) {
        const options = { maxNewTokens: 7, seed: 42, returnLogProbs: true, ...sampling };
        const eager = await generate(model, PROMPTS, { ...options, capture: false });
        const captured = await generate(model, PROMPTS, { ...options, capture: true });
        expect(captured.completionIds).toEqual(eager.completionIds);
        captured.completionLogProbs!.forEach((row, b) => row.forEach((lp, j) => expect(lp).toBeCloseTo(eager.completionLogProbs![b][j], 4)));
      }
      const mine = captureStats().filter((s) => s.name.startsWith("decode[4x") || s.name.startsWith("prefill[4x"));
      const decode = mine.find((s) => s.name.startsWith("decode"))!;
      // Three generations x 6 decode steps, all on one graph.
      expect(decode.graphs).toHaveLength(1);
      expect(decode.graphs[0].runs).toBeGreaterThanOrEqual(18);
      releaseCapturedDecoding(model);
      expect(memory().numTensors).toBe(before);
      model.dispose();
    });
  }

  it("buckets prompt widths and cache lengths", () => {
    expect([1, 8, 9, 40, 64, 65, 100].map(lengthBucket)).toEqual([8, 8, 16, 40, 64, 96, 128]);
  });
});
