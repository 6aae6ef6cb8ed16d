import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CharTokenizer, TransformerLM, loadCheckpoint, memory } from "@r1ts/core";
import { trainTinyLm } from "../train-tiny-lm.ts";

describe("examples/train-tiny-lm", () => {
  it("runs a few steps, saves a loadable checkpoint and samples, leaving no tensors behind", async () => {
    const runDir = await mkdtemp(join(tmpdir(), "r1ts-tiny-lm-"));
    try {
      const before = memory().numTensors;
      const result = await trainTinyLm({ steps: 4, runDir, logEvery: 0, prompts: ["1+2="] });
      expect(result.losses).toHaveLength(4);
      expect(result.losses.every(Number.isFinite)).toBe(true);
      expect(result.samples).toHaveLength(1);
      expect(memory().numTensors).toBe(before);

      const ckpt = await loadCheckpoint(result.checkpointDir!);
      const config = ckpt.config as { model: ConstructorParameters<typeof TransformerLM>[0]; tokenizer: Parameters<typeof CharTokenizer.fromJSON>[0] };
      const model = new TransformerLM(config.model);
      model.loadStateDict(ckpt.weights);
      expect(model.numParameters()).toBe(result.numParameters);
      expect(CharTokenizer.fromJSON(config.tokenizer).encode("12+7=19")).toHaveLength(7);
      expect(ckpt.trainerState).toMatchObject({ step: 4 });
      model.dispose();
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
  });
});
