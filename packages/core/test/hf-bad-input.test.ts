/**
 * Bad Hugging Face folders: each problem fails with one typed error naming the file and what is wrong
 * (a truncated shard, a shard missing from the index, a dtype the file does not hold, missing / extra /
 * mis-shaped tensors, unsupported config fields), or, with strict: false, is reported.
 */
import { cp, mkdtemp, readFile, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeTinyHfFolder } from "../src/testing/index.ts";
import { HfConfigError, HfModelError, loadPretrained, loadTokenizer, mapHfConfig, parseSafetensors, readGenerationConfig, serializeSafetensors } from "../src/index.ts";

const FIXTURES = join(import.meta.dirname, "fixtures", "hf");
const temps: string[] = [];

afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function copyOf(name: string): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), "r1ts-bad-")), name);
  temps.push(dir);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/** Rewrites one safetensors file's tensors (and optionally its raw header text). */
async function rewrite(file: string, edit: (tensors: ReturnType<typeof parseSafetensors>["tensors"]) => void): Promise<void> {
  const { tensors } = parseSafetensors(new Uint8Array(await readFile(file)), file);
  edit(tensors);
  await writeFile(file, serializeSafetensors(tensors, { format: "pt" }));
}

/** Replaces `from` by `to` in the header JSON of a safetensors file, keeping the header length. */
async function patchHeader(file: string, from: string, to: string): Promise<void> {
  const bytes = new Uint8Array(await readFile(file));
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd();
  expect(text).toContain(from);
  const patched = text.replace(from, to);
  expect(patched.length).toBeLessThanOrEqual(n);
  bytes.set(new TextEncoder().encode(patched.padEnd(n, " ")), 8);
  await writeFile(file, bytes);
}

describe("bad shards", () => {
  it("a truncated shard fails naming the shard", async () => {
    const dir = await copyOf("qwen2-sharded");
    const shard = join(dir, "model-00002-of-00003.safetensors");
    await truncate(shard, 60_000);
    await expect(loadPretrained(dir)).rejects.toThrow(HfModelError);
    await expect(loadPretrained(dir)).rejects.toThrow(/model-00002-of-00003\.safetensors: .*(go past the end|cover only)/);
  });

  it("a shard the index lists but the folder lacks fails naming the index and the shard", async () => {
    const dir = await copyOf("qwen2-sharded");
    await unlink(join(dir, "model-00003-of-00003.safetensors"));
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors\.index\.json: lists shard "model-00003-of-00003\.safetensors", which is not in/);
  });

  it("an index that disagrees with the shards fails naming the tensor", async () => {
    const dir = await copyOf("qwen2-sharded");
    const indexPath = join(dir, "model.safetensors.index.json");
    const index = JSON.parse(await readFile(indexPath, "utf8"));
    index.weight_map["model.norm.weight"] = "model-00001-of-00003.safetensors";
    await writeFile(indexPath, JSON.stringify(index));
    await expect(loadPretrained(dir)).rejects.toThrow(/lists tensor "model\.norm\.weight" in model-00001-of-00003\.safetensors, but it is in model-00003-of-00003\.safetensors/);
    delete index.weight_map["model.norm.weight"];
    await writeFile(indexPath, JSON.stringify(index));
    await expect(loadPretrained(dir)).rejects.toThrow(/does not list tensor "model\.norm\.weight", which shard model-00003-of-00003\.safetensors holds/);
    index.weight_map["model.extra.weight"] = "model-00003-of-00003.safetensors";
    index.weight_map["model.norm.weight"] = "model-00003-of-00003.safetensors";
    await writeFile(indexPath, JSON.stringify(index));
    await expect(loadPretrained(dir)).rejects.toThrow(/lists tensor "model\.extra\.weight" in model-00003-of-00003\.safetensors, which does not hold it/);
  });

  it("a dtype the file does not hold: bytes sized for another dtype, an unsupported dtype, an integer weight", async () => {
    const dir = await copyOf("llama3");
    const file = join(dir, "model.safetensors");
    await patchHeader(file, '"model.norm.weight":{"dtype":"F32"', '"model.norm.weight":{"dtype":"F16"');
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors: tensor "model\.norm\.weight": data_offsets .* span 128 bytes, but F16 shape \[32\] needs 64/);
    await patchHeader(file, '"model.norm.weight":{"dtype":"F16"', '"model.norm.weight":{"dtype":"F64"');
    await expect(loadPretrained(dir)).rejects.toThrow(/tensor "model\.norm\.weight": unsupported dtype "F64"/);
    await patchHeader(file, '"model.norm.weight":{"dtype":"F64"', '"model.norm.weight":{"dtype":"I32"');
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors: tensor "model\.norm\.weight" is i32; a weight must be F32, F16 or BF16/);
  });

  it("an FP8 weight without its weight_scale_inv fails naming both", async () => {
    const dir = await copyOf("deepseek-v3-fp8");
    await rewrite(join(dir, "model.safetensors"), (t) => delete t["model.layers.0.mlp.up_proj.weight_scale_inv"]);
    await expect(loadPretrained(dir)).rejects.toThrow(/tensor "model\.layers\.0\.mlp\.up_proj\.weight" is F8_E4M3 without its block scales "model\.layers\.0\.mlp\.up_proj\.weight_scale_inv"/);
  });
});

describe("tensors that do not fit the model", () => {
  it("missing and extra tensors fail naming them (and the file of each extra); strict: false reports them", async () => {
    const dir = await copyOf("llama3");
    await rewrite(join(dir, "model.safetensors"), (t) => {
      t["model.layers.9.mlp.up_proj.weight"] = t["model.layers.1.mlp.up_proj.weight"];
      delete t["model.layers.1.mlp.up_proj.weight"];
    });
    const error = (await loadPretrained(dir).then(() => undefined, (e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(HfModelError);
    expect(error.message).toMatch(/missing tensors \(the model has them, the files do not\): model\.layers\.1\.mlp\.up_proj\.weight/);
    expect(error.message).toMatch(/unexpected tensors \(in the files, not in the model\): model\.layers\.9\.mlp\.up_proj\.weight \(model\.safetensors\)/);
    const loose = await loadPretrained(dir, { strict: false });
    expect(loose.weights.missing).toEqual(["model.layers.1.mlp.up_proj.weight"]);
    expect(loose.weights.unexpected).toEqual(["model.layers.9.mlp.up_proj.weight"]);
    expect(loose.notices.join("\n")).toMatch(/1 parameter\(s\) missing from the files kept their initial values/);
    loose.model.dispose();
  });

  it("a mis-shaped tensor fails naming both shapes", async () => {
    const dir = await copyOf("llama3");
    const configPath = join(dir, "config.json");
    const config = JSON.parse(await readFile(configPath, "utf8"));
    await writeFile(configPath, JSON.stringify({ ...config, vocab_size: 100 }));
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors: tensor "model\.embed_tokens\.weight" has shape \[96,32\], the model expects \[100,32\]/);
  });

  it("a tied model ignores a stored lm_head.weight, and says so", async () => {
    const dir = await copyOf("llama3");
    await rewrite(join(dir, "model.safetensors"), (t) => {
      t["lm_head.weight"] = t["model.embed_tokens.weight"];
    });
    const { notices, model } = await loadPretrained(dir);
    expect(notices.join("\n")).toMatch(/ignored lm_head\.weight \(tied to model\.embed_tokens\.weight\)/);
    model.dispose();
  });
});

describe("bad folders and configs", () => {
  it("a missing folder, config.json, weights or a broken generation_config.json fail naming the file", async () => {
    await expect(loadPretrained(join(tmpdir(), "r1ts-no-such-folder"))).rejects.toThrow(/does not exist \(loadPretrained reads a local Hugging Face model folder; nothing is downloaded\)/);
    const dir = await copyOf("llama3");
    await writeFile(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: "two" }));
    await expect(loadPretrained(dir)).rejects.toThrow(/generation_config\.json: "eos_token_id" must be a token id or a list of them/);
    await unlink(join(dir, "generation_config.json"));
    await unlink(join(dir, "model.safetensors"));
    await writeFile(join(dir, "pytorch_model.bin"), "");
    await expect(loadPretrained(dir)).rejects.toThrow(/has neither model\.safetensors nor model\.safetensors\.index\.json \(pytorch_model\.bin is not read: convert the weights to safetensors\)/);
    await writeFile(join(dir, "config.json"), "{ oops");
    await expect(loadPretrained(dir)).rejects.toThrow(/config\.json: not valid JSON/);
    await unlink(join(dir, "config.json"));
    await expect(loadPretrained(dir)).rejects.toThrow(/config\.json: is missing/);
  });

  it("unsupported model types and fields fail naming them", () => {
    const llama = { model_type: "llama", vocab_size: 16, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2 };
    expect(() => mapHfConfig({ ...llama, model_type: "gpt2" })).toThrow(/model_type "gpt2" is not supported \(supported: llama, mistral, qwen2, qwen3, deepseek_v2, deepseek_v3\)/);
    expect(() => mapHfConfig({ ...llama, hidden_act: "gelu" })).toThrow(/config\.json \(llama\): "hidden_act" must be "silu" \(SwiGLU\), got "gelu"/);
    expect(() => mapHfConfig({ ...llama, rope_scaling: { rope_type: "longrope", factor: 2 } })).toThrow(/"rope_scaling" of type "longrope" is not supported/);
    expect(() => mapHfConfig({ ...llama, partial_rotary_factor: 0.5 })).toThrow(/"partial_rotary_factor" must be 1/);
    expect(() => mapHfConfig({ ...llama, model_type: "qwen3", layer_types: ["sliding_attention"] })).toThrow(/"layer_types" lists sliding-window layers/);
    const ds = { ...llama, model_type: "deepseek_v3", kv_lora_rank: 4, qk_nope_head_dim: 4, qk_rope_head_dim: 2, v_head_dim: 4 };
    expect(() => mapHfConfig({ ...ds, attention_bias: true })).toThrow(/"attention_bias" must be false \(MLA with biases is not supported\)/);
    expect(() => mapHfConfig({ ...ds, quantization_config: { quant_method: "gptq", bits: 4 } })).toThrow(/"quantization_config" must be DeepSeek-V3's FP8 form/);
    expect(() => mapHfConfig({ ...ds, n_routed_experts: 4, num_experts_per_tok: 1, moe_intermediate_size: 4, topk_method: "random" })).toThrow(HfConfigError);
  });

  it("unknown fields and a sliding window inside the context become notices", () => {
    const m = mapHfConfig({ model_type: "mistral", vocab_size: 16, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 4096, sliding_window: 1024, new_feature: 3 });
    expect(m.config.maxSeqLen).toBe(1024);
    expect(m.notices.join("\n")).toMatch(/field "new_feature" is not known to r1ts for mistral; ignored/);
    expect(m.notices.join("\n")).toMatch(/sliding-window attention \(window 1024\) is not implemented; the model runs at most 1024 positions/);
  });

  it("readGenerationConfig: eos ids as a number or a list, sampling defaults", async () => {
    const g = await readGenerationConfig(join(FIXTURES, "qwen3"));
    expect(g).toMatchObject({ eosTokenIds: [2, 4], bosTokenId: 1, doSample: true, temperature: 0.6, topP: 0.95, topK: 20 });
    expect(await readGenerationConfig(join(FIXTURES, "llama3"))).toBeUndefined();
  });
});

// Found by the hf-folder and hf-tokenizer fuzz targets (fuzz/targets/hf-folder.ts, seed 16).
describe("folders the fuzzer found", () => {
  const editJson = async (file: string, edit: (json: Record<string, any>) => void) => {
    const json = JSON.parse(await readFile(file, "utf8"));
    edit(json);
    await writeFile(file, JSON.stringify(json));
  };

  it("a config value that maps but makes no model (num_attention_heads -1) fails naming config.json", async () => {
    const dir = await copyOf("qwen3");
    await editJson(join(dir, "config.json"), (c) => void (c.num_attention_heads = -1));
    await expect(loadPretrained(dir)).rejects.toThrow(HfModelError);
    await expect(loadPretrained(dir)).rejects.toThrow(`${join(dir, "config.json")}: model config: "nHeads" must be a positive integer, got -1`);
  });

  it("a config far larger than its weights is refused before the model is allocated", async () => {
    const dir = await copyOf("qwen3");
    await editJson(join(dir, "config.json"), (c) => void (c.num_hidden_layers = 100_000));
    const started = performance.now();
    await expect(loadPretrained(dir)).rejects.toThrow(/config\.json: describes \d+ parameters, but the weight files of .* hold \d+ values/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  const tinyFolder = async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-bad-tok-"));
    temps.push(dir);
    await writeTinyHfFolder(dir);
    return dir;
  };

  it("a vocabulary id of 2^31 in tokenizer.json fails at once instead of building a 2^31-entry table", async () => {
    const dir = await tinyFolder();
    await editJson(join(dir, "tokenizer.json"), (t) => void (t.model.vocab[Object.keys(t.model.vocab)[5]] = 2 ** 31));
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: model\.vocab\[.*\] is 2147483648, far beyond the \d+ tokens the file lists/);
  });

  it("a vocabulary id that is not an integer (1.5 under __proto__) fails naming the entry", async () => {
    const dir = await tinyFolder();
    const file = join(dir, "tokenizer.json");
    const text = await readFile(file, "utf8");
    expect(text).toMatch(/"vocab": ?\{/);
    await writeFile(file, text.replace(/"vocab": ?\{/, '"vocab":{"__proto__":1.5,'));
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: model\.vocab\["__proto__"\] must be an integer id >= 0, got 1\.5/);
  });

  it("a context of 2^53 - 1 positions (hf-folder case 2616) fails naming config.json instead of a RangeError in the RoPE tables", async () => {
    const dir = await copyOf("qwen3");
    await editJson(join(dir, "config.json"), (c) => void (c.max_position_embeddings = Number.MAX_SAFE_INTEGER));
    await expect(loadPretrained(dir)).rejects.toThrow(HfModelError);
    await expect(loadPretrained(dir)).rejects.toThrow(/config\.json: max_position_embeddings 9007199254740991 is more than r1ts precomputes RoPE tables for .*\{ maxSeqLen \}/);
    const { model } = await loadPretrained(dir, { maxSeqLen: 64 });
    expect(model.config.maxSeqLen).toBe(64);
    model.dispose();
  });

  it("a pre-tokenizer field of the wrong type (hf-tokenizer case 1350) fails at load naming tokenizer.json", async () => {
    const dir = await tinyFolder();
    await editJson(join(dir, "tokenizer.json"), (t) => void (t.pre_tokenizer = { type: "Split", pattern: { Regex: "\\d" }, behavior: { not: "a string" }, invert: false }));
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: the tokenizer fails to encode a text \(.*toLowerCase is not a function\)/);
  });
});

