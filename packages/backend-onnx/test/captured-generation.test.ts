/**
 * Generation on ONNX Runtime: prefill and decode captured as graphs over a static cache give the same
 * tokens as eager kernel-by-kernel generation for the same seed (GQA and absorbed MLA); with row seeds
 * or greedy decoding the sampling step is captured as well.
 */
import { afterAll, describe, expect, it } from "vitest";
import { TransformerLM, type TransformerConfigInput, captureStats, engine, generate, releaseCapturedDecoding } from "@r1ts/core";
import { createOnnxBackend } from "../src/index.ts";

const backend = createOnnxBackend({ intraOpThreads: 2 });
afterAll(() => backend.destroy?.());

const PROMPTS = [[3, 1, 4, 1], [5, 9, 2, 6, 5, 3], [5], [8, 9, 7], [9, 3], [2, 3, 8, 4, 6]];
const MODELS: [string, TransformerConfigInput][] = [
  ["GQA", { vocabSize: 13, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 48, maxSeqLen: 48, initStd: 0.2, seed: 5 }],
  ["MLA absorbed", { vocabSize: 13, dim: 32, nLayers: 2, nHeads: 2, interDim: 48, maxSeqLen: 48, initStd: 0.2, seed: 6, attention: "mla", kvLoraRank: 16, qkNopeHeadDim: 8, qkRopeHeadDim: 4, vHeadDim: 8, qLoraRank: 0 }],
];

describe("captured generation on onnx", () => {
  for (const [name, config] of MODELS) {
    it(`${name}: identical tokens to eager generation with the same seed; decode runs as one graph`, async () => {
      const model = engine.withBackend(backend, () => new TransformerLM(config));
      for (const sampling of [{ temperature: 1 }, { temperature: 0.7, topP: 0.9 }]) {
        const options = { maxNewTokens: 6, seed: 7, ...sampling };
        const eager = await generate(model, PROMPTS, { ...options, capture: false });
        const captured = await generate(model, PROMPTS, options);
        expect(captured.completionIds).toEqual(eager.completionIds);
      }
      const decode = captureStats().find((s) => s.name === "decode[6x16]")!;
      expect(decode.graphs).toHaveLength(1);
      expect(decode.graphs[0].mode).toBe("graph");
      expect(decode.graphs[0].runs).toBe(10);
      releaseCapturedDecoding(model);
      model.dispose();
    }, 60_000);

    it(`${name}: with row seeds (and greedy) sampling runs as one captured graph too, with the same tokens and log-probs`, async () => {
      const model = engine.withBackend(backend, () => new TransformerLM(config));
      const rowSeeds = PROMPTS.map((_, b) => 1000 + 17 * b);
      const settings = [{ temperature: 1 }, { temperature: 0.7, topP: 0.9, topK: 8 }, { temperature: 0 }, { temperature: 0.7, topP: 0.9, topK: 8, logProbsMode: "processed" as const }];
      for (const sampling of settings) {
        const options = { maxNewTokens: 6, rowSeeds, returnLogProbs: true, ...sampling };
        const eager = await generate(model, PROMPTS, { ...options, capture: false });
        const captured = await generate(model, PROMPTS, options);
        expect(captured.completionIds).toEqual(eager.completionIds);
        captured.completionLogProbs!.forEach((row, b) => row.forEach((lp, j) => expect(lp).toBeCloseTo(eager.completionLogProbs![b][j], 4)));
      }
      const samplers = captureStats().filter((s) => s.name === "sample[6]");
      // One graph per sampling setting, each run at every one of the 6 steps of its generation.
      expect(samplers.flatMap((s) => s.graphs.map((g) => [g.mode, g.runs]))).toEqual(settings.map(() => ["graph", 6]));
      releaseCapturedDecoding(model);
      expect(captureStats().filter((s) => s.name === "sample[6]")).toHaveLength(0);
      model.dispose();
    }, 60_000);
  }
});
