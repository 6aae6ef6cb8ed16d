import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r1ts } from "./helpers.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "r1ts-inspect-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** DeepSeek-V3's Hugging Face config.json (the fields that shape the model). */
const HF_DEEPSEEK_V3 = {
  model_type: "deepseek_v3", vocab_size: 129280, hidden_size: 7168, intermediate_size: 18432, moe_intermediate_size: 2048,
  num_hidden_layers: 61, first_k_dense_replace: 3, num_attention_heads: 128, num_key_value_heads: 128,
  n_routed_experts: 256, n_shared_experts: 1, num_experts_per_tok: 8, n_group: 8, topk_group: 4, topk_method: "noaux_tc",
  scoring_func: "sigmoid", routed_scaling_factor: 2.5, norm_topk_prob: true,
  q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128,
  rope_theta: 10000, max_position_embeddings: 163840, rms_norm_eps: 1e-6, tie_word_embeddings: false,
  rope_scaling: { type: "yarn", factor: 40, original_max_position_embeddings: 4096, beta_fast: 32, beta_slow: 1, mscale: 1.0, mscale_all_dim: 1.0 },
};

describe("r1ts inspect", () => {
  it("--model deepseek-v3-671b --json: 671B total, 37B activated, 576 vs 40960 cache values", async () => {
    const { code, stdout } = await r1ts("inspect", "--model", "deepseek-v3-671b", "--json");
    expect(code).toBe(0);
    const out = JSON.parse(stdout.at(-1)!);
    expect(Math.abs(out.params / 671e9 - 1)).toBeLessThan(0.01);
    expect(Math.abs(out.activatedParams / 37e9 - 1)).toBeLessThan(0.02);
    expect(out.kvCacheValuesPerTokenPerLayer).toEqual({ mla: 576, naive: 40960 });
    expect(out.config).toMatchObject({ attention: "mla", nRoutedExperts: 256 });
  });

  it("reads a Hugging Face DeepSeek-V3 config.json to the same counts, and prints a summary without --json", async () => {
    const file = join(dir, "hf-config.json");
    await writeFile(file, JSON.stringify(HF_DEEPSEEK_V3));
    const hf = JSON.parse((await r1ts("inspect", "--model", file, "--json")).stdout.at(-1)!);
    const preset = JSON.parse((await r1ts("inspect", "--model", "deepseek-v3-671b", "--json")).stdout.at(-1)!);
    expect(hf.params).toBe(preset.params);
    expect(hf.activatedParams).toBe(preset.activatedParams);
    // HF's YaRN is always on; the preset's is on too (maxSeqLen > originalMaxSeqLen): the same scaling.
    expect({ ...hf.config.ropeScaling, alwaysOn: undefined }).toEqual(preset.config.ropeScaling);
    const { code, stdout } = await r1ts("inspect", "--model", file);
    expect(code).toBe(0);
    expect(stdout.join("\n")).toMatch(/parameters\s+671\.03B/);
    expect(stdout.join("\n")).toMatch(/latent 576 values, full K\/V 40960 values/);
  });

  it("reads an r1ts config, a bundle config and a checkpoint directory", async () => {
    const model = { vocabSize: 10, dim: 8, nLayers: 1, nHeads: 2, interDim: 4 };
    await writeFile(join(dir, "model.json"), JSON.stringify(model));
    await mkdir(join(dir, "ckpt"));
    await writeFile(join(dir, "ckpt", "config.json"), JSON.stringify({ model, tokenizer: null, eosToken: "<eos>" }));
    // 2 * 10 * 8 embeddings and head, 4 * 64 attention, 3 * 8 * 4 MLP, 3 * 8 norms
    const expected = 160 + 256 + 96 + 24;
    for (const spec of [join(dir, "model.json"), join(dir, "ckpt", "config.json"), join(dir, "ckpt")]) {
      const { code, stdout } = await r1ts("inspect", "--model", spec, "--json");
      expect(code).toBe(0);
      expect(JSON.parse(stdout.at(-1)!)).toMatchObject({ params: expected, kvCacheValuesPerTokenPerLayer: { mla: null, naive: 16 } });
    }
  });

  it("fails with exit code 2 and a clear message on a bad --model", async () => {
    const missing = await r1ts("inspect", "--model", "deepseek-v9");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/neither a preset \(deepseek-v3-671b, .*\) nor an existing file/);
    await writeFile(join(dir, "bad.json"), JSON.stringify({ vocabSize: 10, dim: 8, nLayers: 1, nHeads: 3, interDim: 4 }));
    const bad = await r1ts("inspect", "--model", join(dir, "bad.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"nHeads" must be a divisor of dim/);
    expect((await r1ts("inspect")).code).toBe(2);
  });
});
