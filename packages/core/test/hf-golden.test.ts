/**
 * Every supported Hugging Face architecture: a tiny random folder (made offline by
 * test/fixtures/hf/make_fixtures.py, an independent PyTorch reference of each model) loads and gives
 * the reference's logits; a save -> load round trip gives the same logits and HF's tensor names.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SafetensorsFile, type TransformerLM, engine, loadPretrained, readSafetensors, savePretrained, tidy } from "../src/index.ts";

const FIXTURES = join(import.meta.dirname, "fixtures", "hf");
const FOLDERS = ["llama3", "llama-bias-linear", "mistral-bf16", "qwen2-sharded", "qwen3", "deepseek-v2", "deepseek-v3", "deepseek-v3-fp8"];
const temps: string[] = [];

afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "r1ts-hf-"));
  temps.push(dir);
  return dir;
}

async function golden(name: string): Promise<{ ids: Int32Array; shape: number[]; logits: Float32Array }> {
  const { tensors } = await readSafetensors(join(FIXTURES, name, "golden.safetensors"));
  return { ids: tensors.input_ids.data as Int32Array, shape: tensors.input_ids.shape, logits: tensors.logits.data as Float32Array };
}

function logitsOf(model: TransformerLM, ids: Int32Array, shape: number[]): Float32Array {
  return tidy(() => model.forward(engine.makeTensor(ids, shape, "i32")).dataSync() as Float32Array);
}

/** max |a - b| / max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** The tensor names of every safetensors file of a folder. */
async function tensorNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".safetensors") && f !== "golden.safetensors")) {
    const st = await SafetensorsFile.open(join(dir, file));
    names.push(...st.entries.keys());
    await st.close();
  }
  return names.sort();
}

describe.each(FOLDERS)("HF folder %s", (name) => {
  const dir = join(FIXTURES, name);

  it("matches the reference logits (1e-4 relative) and decodes the same through the KV cache", async () => {
    const { model, weights } = await loadPretrained(dir);
    const { ids, shape, logits } = await golden(name);
    expect(weights.loaded).toBe(model.namedParameters().size);
    expect(relativeError(logitsOf(model, ids, shape), logits)).toBeLessThan(1e-4);

    // Token by token through the cache (absorbed MLA for DeepSeek) gives the full forward's logits.
    const [b, s] = shape;
    const cache = model.createCache();
    const stepped = new Float32Array(logits.length);
    const v = model.config.vocabSize;
    for (let t = 0; t < s; t++) {
      const column = Int32Array.from({ length: b }, (_, r) => ids[r * s + t]);
      const out = tidy(() => model.forwardCached(engine.makeTensor(column, [b, 1], "i32"), cache, { positions: Array(b).fill(t) }).dataSync() as Float32Array);
      for (let r = 0; r < b; r++) stepped.set(out.subarray(r * v, (r + 1) * v), (r * s + t) * v);
    }
    cache.dispose();
    expect(relativeError(stepped, logits)).toBeLessThan(1e-4);
    model.dispose();
  });

  it("save -> load gives identical logits and Hugging Face's tensor names", async () => {
    const loaded = await loadPretrained(dir);
    const out = await tempDir();
    const target = join(out, name);
    const saved = await savePretrained(target, { model: loaded.model, maxShardSize: name === "qwen2-sharded" ? 40_000 : "5GB" });
    const again = await loadPretrained(target);
    const { ids, shape } = await golden(name);
    expect(Array.from(logitsOf(again.model, ids, shape))).toEqual(Array.from(logitsOf(loaded.model, ids, shape)));

    // HF's names: those of the original files, less what r1ts ignores (DeepSeek-V3's MTP layer).
    const original = (await tensorNames(dir)).filter((n) => !loaded.weights.ignored.some((i) => i.startsWith(`${n} `)));
    const fp8Scales = (n: string) => name === "deepseek-v3-fp8" && n.endsWith("weight_scale_inv");
    expect((await tensorNames(target)).filter((n) => !fp8Scales(n))).toEqual(original.filter((n) => !fp8Scales(n)));
    expect(again.config.model_type).toBe(loaded.config.model_type);
    if (name === "qwen2-sharded") {
      expect(saved.shards).toBeGreaterThan(1);
      expect(saved.files).toContain("model.safetensors.index.json");
    }
    loaded.model.dispose();
    again.model.dispose();
  });
});

describe("HF dtypes and FP8", () => {
  it("a bf16 folder saved as bf16 holds the same bits and loads to identical logits", async () => {
    const { model } = await loadPretrained(join(FIXTURES, "mistral-bf16"));
    const target = join(await tempDir(), "bf16");
    await savePretrained(target, { model, dtype: "bf16" });
    const a = await readSafetensors(join(FIXTURES, "mistral-bf16", "model.safetensors"));
    const b = await readSafetensors(join(target, "model.safetensors"));
    for (const [name, t] of Object.entries(a.tensors)) {
      expect(b.tensors[name].dtype).toBe("bf16");
      expect(Array.from(b.tensors[name].data)).toEqual(Array.from(t.data));
    }
    expect(b.metadata).toEqual({ format: "pt" });
    model.dispose();
  });

  it("DeepSeek-V3 FP8 weights kept as E4M3 match the reference and save back byte for byte", async () => {
    const dir = join(FIXTURES, "deepseek-v3-fp8");
    const kept = await loadPretrained(dir, { fp8: "keep" });
    expect(kept.weights.fp8Weights.mode).toBe("kept");
    expect(kept.model.namedParameters().get("model.layers.0.mlp.gate_proj.weight")!.dtype).toBe("f8e4m3");
    const { ids, shape, logits } = await golden("deepseek-v3-fp8");
    expect(relativeError(logitsOf(kept.model, ids, shape), logits)).toBeLessThan(1e-4);

    const dequantized = await loadPretrained(dir);
    expect(dequantized.weights.fp8Weights).toMatchObject({ mode: "dequantized" });
    expect(dequantized.weights.fp8Weights.count).toBeGreaterThan(10);
    // Multiple 128-blocks: the dense MLP is 160 wide.
    expect(dequantized.model.namedParameters().get("model.layers.0.mlp.down_proj.weight")!.shape).toEqual([32, 160]);

    const target = join(await tempDir(), "fp8");
    await savePretrained(target, { model: kept.model, dtype: "bf16" });
    const a = await readSafetensors(join(dir, "model.safetensors"));
    const b = await readSafetensors(join(target, "model.safetensors"));
    expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
    for (const [name, t] of Object.entries(a.tensors)) {
      expect(b.tensors[name].dtype, name).toBe(t.dtype);
      expect(Array.from(b.tensors[name].data), name).toEqual(Array.from(t.data));
    }
    const saved = await loadPretrained(target);
    expect(saved.config.quantization_config).toEqual(kept.config.quantization_config);
    kept.model.dispose();
    dequantized.model.dispose();
    saved.model.dispose();
  });

  it("a dequantised FP8 model saves as plain weights without quantization_config", async () => {
    const { model } = await loadPretrained(join(FIXTURES, "deepseek-v3-fp8"));
    const target = join(await tempDir(), "deq");
    await savePretrained(target, { model });
    const again = await loadPretrained(target);
    expect(again.config.quantization_config).toBeUndefined();
    expect(again.weights.fp8Weights.mode).toBe("none");
    const { ids, shape } = await golden("deepseek-v3-fp8");
    expect(Array.from(logitsOf(again.model, ids, shape))).toEqual(Array.from(logitsOf(model, ids, shape)));
    model.dispose();
    again.model.dispose();
  });
});
