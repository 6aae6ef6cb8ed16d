import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModelBundle, memory, r1ZeroPrompt } from "@r1ts/core";
import { BASE_DEFAULTS, corpusCompletion, pretrainBase } from "../pretrain-base.ts";

describe("examples/pretrain-base", () => {
  it("corpus styles: worked and direct in the R1 format, plain without tags", () => {
    expect(corpusCompletion("worked", "7+5=12\n4+8+1=13", "132")).toBe("<think>\n7+5=12\n4+8+1=13\n</think>\n<answer>\n132\n</answer>");
    expect(corpusCompletion("direct", "ignored", "132")).toBe("<think>\nI add the numbers.\n</think>\n<answer>\n132\n</answer>");
    expect(corpusCompletion("plain", "ignored", "132")).toBe(" The answer is 132.");
    expect(BASE_DEFAULTS).toMatchObject({ steps: 2000, stopAfter: 600, lr: 6e-3, backend: "tfjs", seed: 1234 });
  });

  it("pre-trains a few steps and writes a loadable bundle with its task and recipe", async () => {
    const out = await mkdtemp(join(tmpdir(), "r1ts-pretrain-"));
    try {
      const before = memory().numTensors;
      const result = await pretrainBase({ stopAfter: 3, corpusSize: 300, batchSize: 4, backend: "reference", out });
      expect(result.losses).toHaveLength(3);
      expect(result.losses.every(Number.isFinite)).toBe(true);
      // The R1-Zero template collapses to a few BPE tokens; digits stay single tokens.
      expect(result.tokenizer.encode(r1ZeroPrompt("47+85")).length).toBeLessThan(12);
      const bundle = await loadModelBundle(out);
      expect(bundle.model.numParameters()).toBe(result.model.numParameters());
      expect(bundle.config).toMatchObject({ task: { name: "arithmetic", minDigits: 2, maxDigits: 2 }, pretraining: { stopAfter: 3, seed: 1234 } });
      expect(JSON.parse(await readFile(join(out, "config.json"), "utf8")).eosToken).toBe("<|endoftext|>");
      bundle.model.dispose();
      result.model.dispose();
      expect(memory().numTensors).toBe(before);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);
});
