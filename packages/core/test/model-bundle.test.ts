/**
 * Loading model bundles (checkpoint folders) that are broken: every failure names the folder and the
 * file. The first two cases were found by the fuzzer (fuzz/targets/checkpoint.ts, seed 16).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckpointError, ModelBundleError, TransformerLM, loadModelBundle, saveModelBundle, trainBpe } from "../src/index.ts";

let dir: string;
let config: Record<string, any>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "r1ts-bundle-"));
  const tokenizer = trainBpe(["12+34=46<eos>", "7+8=15<eos>"], { vocabSize: 30, specialTokens: ["<eos>"] });
  const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 8, nLayers: 1, nHeads: 2, interDim: 16, maxSeqLen: 16, seed: 1 });
  await saveModelBundle(dir, model, tokenizer, "<eos>");
  model.dispose();
  config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const writeConfig = (value: unknown) => writeFile(join(dir, "config.json"), typeof value === "string" || value instanceof Uint8Array ? value : JSON.stringify(value));

describe("loadModelBundle on broken folders", () => {
  it("loads the intact bundle", async () => {
    await writeConfig(config);
    const bundle = await loadModelBundle(dir);
    expect(bundle.eosTokenId).toBe(bundle.tokenizer.tokenToId?.("<eos>"));
    bundle.model.dispose();
  });

  // Fuzz case 2: config.json with bytes that are not UTF-8 surfaced TextDecoder's TypeError as the cause.
  it("config.json that is not UTF-8 is a CheckpointError naming the folder and file", async () => {
    await writeConfig(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    const error = await loadModelBundle(dir).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toBe(`checkpoint ${dir}, file config.json: corrupt JSON (the bytes are not valid UTF-8)`);
    expect(error.cause).toBeUndefined();
  });

  // Fuzz case 12: a bad tokenizer inside config.json gave "tokenizer.json: model.vocab[...] ...", naming no folder.
  it("a bad tokenizer in config.json names the folder, the file and the field", async () => {
    await writeConfig({ ...config, tokenizer: { ...config.tokenizer, model: { ...config.tokenizer.model, vocab: { ...config.tokenizer.model.vocab, "1": "one" } } } });
    await expect(loadModelBundle(dir)).rejects.toThrow(`${dir}/config.json, "tokenizer": model.vocab["1"] must be an integer id >= 0, got "one"`);
  });

  it("a model config bigger than its weights fails before any weight is allocated", async () => {
    await writeConfig({ ...config, model: { ...config.model, dim: 1_000_000, nLayers: 1000 } });
    const before = process.memoryUsage().rss;
    const error = await loadModelBundle(dir).catch((e) => e);
    expect(error).toBeInstanceOf(ModelBundleError);
    expect(error.message).toMatch(new RegExp(`${dir}/config.json: the model config has \\d+ parameters, but ${dir}/model.safetensors holds \\d+ values`));
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  });

  it("a model config field the transformer rejects, and weights that do not fit, name the files", async () => {
    await writeConfig({ ...config, model: { ...config.model, nHeads: 3 } });
    await expect(loadModelBundle(dir)).rejects.toThrow(new RegExp(`^${dir}/config.json: model config: "nKvHeads" must be a divisor of nHeads \\(3\\), got 2`));
    await writeConfig({ ...config, model: { ...config.model, interDim: 8 } });
    await expect(loadModelBundle(dir)).rejects.toThrow(`${dir}/model.safetensors does not fit the model of ${dir}/config.json: cannot load state dict`);
    await writeConfig(config);
  });
});
