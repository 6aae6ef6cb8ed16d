import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectClose } from "./expect-close.ts";
import {
  AdamW,
  Linear,
  LoraError,
  Module,
  type Tensor,
  TransformerLM,
  type TransformerConfigInput,
  applyLora,
  dispose,
  generate,
  loadLoraAdapter,
  memory,
  mul,
  parseSafetensors,
  presetConfig,
  saveLoraAdapter,
  setBackend,
  sum,
  tensor,
  tidy,
  valueAndGradsOf,
} from "../src/index.ts";

const LLAMA: TransformerConfigInput = { vocabSize: 19, dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 24, maxSeqLen: 32, initStd: 0.2, seed: 9 };

const FIXTURE = JSON.parse(readFileSync(new URL("./fixtures/lora-linear.json", import.meta.url), "utf8")) as {
  x: number[][]; w: number[][]; b: number[]; a: number[][]; bLora: number[][]; g: number[][]; r: number; alpha: number;
  plain: Expected; rslora: Expected;
};
interface Expected { scale: number; y: number[][]; loss: number; gradA: number[][]; gradB: number[][]; merged: number[][] }

/** Gives every lora_B non-zero values (they start at zero), so the adapters change the model. */
function setLoraB(lora: ReturnType<typeof applyLora>, value: (i: number) => number): void {
  for (const { adapter } of lora.adapters.values()) {
    const w = adapter.lora_B.weight;
    const t = tensor(Float32Array.from({ length: w.size }, (_, i) => value(i)), [...w.shape]);
    w.assign(t);
    t.dispose();
  }
}

class OneLayer extends Module {
  readonly proj = this.addModule("proj", new Linear(4, 3, { bias: true }));
}

const tokensOf = (rows: number[][]) => tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length], "i32");
const logitsOf = (model: TransformerLM, rows: number[][]) => {
  const t = tokensOf(rows);
  const out = tidy(() => model.forward(t));
  const v = Array.from(out.dataSync());
  dispose([out, t]);
  return v;
};
const ROWS = [[1, 5, 2, 7, 3, 3], [4, 4, 9, 1, 0, 2]];

/** A few AdamW steps of next-token loss on the adapters only. */
function trainAdapters(model: TransformerLM, params: ReturnType<typeof applyLora>, steps: number): number[] {
  const opt = new AdamW(params.namedParameters(), { lr: 0.05 });
  const inputs = tokensOf(ROWS.map((r) => r.slice(0, -1)));
  const targets = tokensOf(ROWS.map((r) => r.slice(1)));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { value, grads } = valueAndGradsOf(() => model.loss(inputs, targets), params.parameters());
    losses.push(value.dataSync()[0]);
    opt.step(grads);
    dispose([value, grads]);
  }
  dispose([inputs, targets]);
  opt.dispose();
  return losses;
}

let dir: string;
beforeAll(async () => {
  await setBackend("reference");
  dir = await mkdtemp(join(tmpdir(), "r1ts-lora-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a LoRA adapter on one Linear layer, against an independent float64 PyTorch computation", () => {
  for (const variant of ["plain", "rslora"] as const) {
    it(`forward, gradients of A and B, and the merged weight (${variant})`, () => {
      const e = FIXTURE[variant];
      const m = new OneLayer();
      m.proj.weight.assign(tensor(FIXTURE.w));
      m.proj.bias!.assign(tensor(FIXTURE.b));
      const lora = applyLora(m, { r: FIXTURE.r, alpha: FIXTURE.alpha, targetModules: ["proj"], useRslora: variant === "rslora" });
      const { adapter } = lora.adapters.get("proj")!;
      expect(adapter.scaling).toBeCloseTo(e.scale, 12);
      adapter.lora_A.weight.assign(tensor(FIXTURE.a));
      adapter.lora_B.weight.assign(tensor(FIXTURE.bLora));
      const x = tensor(FIXTURE.x);
      const g = tensor(FIXTURE.g);
      const { value, grads } = valueAndGradsOf(() => sum(mul(m.proj.forward(x), g)), lora.parameters());
      expect(value.dataSync()[0]).toBeCloseTo(e.loss, 4);
      expect([...lora.namedParameters().keys()]).toEqual(["proj.lora_A.weight", "proj.lora_B.weight"]);
      expectClose(grads[0].dataSync(), e.gradA.flat());
      expectClose(grads[1].dataSync(), e.gradB.flat());
      const y = tidy(() => m.proj.forward(x));
      expectClose(y.dataSync(), e.y.flat());
      lora.merge();
      expect(m.proj.adapter).toBeUndefined();
      expectClose(m.proj.weight.dataSync(), e.merged.flat());
      const merged = tidy(() => m.proj.forward(x));
      expectClose(merged.dataSync(), e.y.flat());
      dispose([value, grads, x, g, y, merged]);
      m.dispose();
    });
  }
});

describe("LoRA on a TransformerLM", () => {
  it("names adapters as PEFT does, freezes the base, starts from the base model's function", () => {
    const model = new TransformerLM(LLAMA);
    const before = logitsOf(model, ROWS);
    const lora = applyLora(model, { r: 4, alpha: 8, targetModules: ["q_proj", "v_proj"] });
    expect([...lora.namedParameters().keys()]).toEqual([
      "model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_B.weight",
      "model.layers.0.self_attn.v_proj.lora_A.weight", "model.layers.0.self_attn.v_proj.lora_B.weight",
      "model.layers.1.self_attn.q_proj.lora_A.weight", "model.layers.1.self_attn.q_proj.lora_B.weight",
      "model.layers.1.self_attn.v_proj.lora_A.weight", "model.layers.1.self_attn.v_proj.lora_B.weight",
    ]);
    // q_proj 16 -> 16, v_proj 16 -> 8 (2 kv heads of 4): r (in + out) each.
    expect(lora.numParameters()).toBe(2 * (4 * (16 + 16) + 4 * (16 + 8)));
    expect(model.parameters().every((p) => !p.trainable)).toBe(true);
    expect(lora.parameters().every((p) => p.trainable)).toBe(true);
    // The base model's own names are unchanged (it still saves and loads as before).
    expect([...model.namedParameters().keys()].some((n) => n.includes("lora"))).toBe(false);
    expect(logitsOf(model, ROWS)).toEqual(before);
    lora.unload();
    expect(model.parameters().every((p) => p.trainable)).toBe(true);
    model.dispose();
  });

  it("trains only the adapters; saves a PEFT folder that reloads and merges to the same logits", async () => {
    const model = new TransformerLM(LLAMA);
    const baseWeights = await model.stateDict();
    const lora = applyLora(model, { r: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "down_proj"], seed: 3 });
    const losses = trainAdapters(model, lora, 8);
    expect(losses[7]).toBeLessThan(losses[0] - 0.1);
    const after = await model.stateDict();
    for (const [name, t] of Object.entries(baseWeights)) expect(Array.from(after[name].data)).toEqual(Array.from(t.data));
    const adapted = logitsOf(model, ROWS);
    expect(adapted).not.toEqual(logitsOf(new TransformerLM(LLAMA), ROWS));

    const folder = join(dir, "adapter");
    await saveLoraAdapter(lora, folder, { baseModelNameOrPath: "tiny-llama" });
    const config = JSON.parse(await readFile(join(folder, "adapter_config.json"), "utf8"));
    expect(config).toMatchObject({ peft_type: "LORA", task_type: "CAUSAL_LM", r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ["q_proj", "v_proj", "down_proj"], bias: "none", use_rslora: false, base_model_name_or_path: "tiny-llama" });
    const { tensors } = parseSafetensors(new Uint8Array(await readFile(join(folder, "adapter_model.safetensors"))));
    expect(Object.keys(tensors).sort()).toEqual([...lora.namedParameters().keys()].map((n) => `base_model.model.${n}`).sort());
    expect(tensors["base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"].shape).toEqual([4, 24]);
    expect(tensors["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"].shape).toEqual([16, 4]);

    // A fresh copy of the base model with the saved adapter computes the trained function.
    const fresh = new TransformerLM(LLAMA);
    const reloaded = await loadLoraAdapter(fresh, folder);
    expect(logitsOf(fresh, ROWS)).toEqual(adapted);
    // The merged weights without merging (what a remote rollout engine receives) equal merge()'s.
    const mergedCopy = await reloaded.mergedStateDict();
    expect(Object.keys(mergedCopy)).toEqual(Object.keys(baseWeights));
    // Switching the adapters off gives the base model's function (GRPO's reference with LoRA).
    expect(reloaded.withAdaptersDisabled(() => logitsOf(fresh, ROWS))).toEqual(logitsOf(new TransformerLM(LLAMA), ROWS));
    expect(logitsOf(fresh, ROWS)).toEqual(adapted);
    // Merged for export: the plain model, with base names only, gives the same logits.
    reloaded.merge();
    const afterMerge = await fresh.stateDict();
    for (const [name, t] of Object.entries(afterMerge)) expect(Array.from(t.data), name).toEqual(Array.from(mergedCopy[name].data));
    expect(Object.keys(await fresh.stateDict())).toEqual(Object.keys(baseWeights));
    expectClose(logitsOf(fresh, ROWS), adapted, 1e-5, 1e-4);
    expect(logitsOf(fresh, ROWS)).not.toEqual(logitsOf(new TransformerLM(LLAMA), ROWS));
    lora.dispose();
    fresh.dispose();
    model.dispose();
  });

  it("generation uses the adapted model; all-linear leaves the head out; a regex selects layers", async () => {
    const model = new TransformerLM(LLAMA);
    const base = await generate(model, [[1, 2, 3]], { maxNewTokens: 6, temperature: 0 });
    const lora = applyLora(model, { r: 2, targetModules: "all-linear" });
    setLoraB(lora, (i) => 3 * Math.sin(i + 1));
    expect([...lora.adapters.keys()]).not.toContain("lm_head");
    expect(lora.adapters.size).toBe(2 * 7);
    const adapted = await generate(model, [[1, 2, 3]], { maxNewTokens: 6, temperature: 0 });
    const full = logitsOf(model, [[1, 2, 3, ...adapted.completionIds[0].slice(0, 5)]]);
    // Greedy tokens are the argmax of the adapted model's own logits.
    adapted.completionIds[0].forEach((token, j) => {
      const row = full.slice((2 + j) * 19, (3 + j) * 19);
      expect(row.indexOf(Math.max(...row))).toBe(token);
    });
    expect(adapted.completionIds).not.toEqual(base.completionIds);
    lora.unload();
    const regex = applyLora(model, { targetModules: String.raw`model\.layers\.1\.mlp\.(gate|up)_proj` });
    expect([...regex.adapters.keys()]).toEqual(["model.layers.1.mlp.gate_proj", "model.layers.1.mlp.up_proj"]);
    regex.unload();
    model.dispose();
  });

  it("with MLA's absorbed decoding, an adapter on kv_b_proj still shapes the cached path", async () => {
    const config = presetConfig("tiny-deepseek", {
      vocabSize: 20, dim: 16, interDim: 24, moeInterDim: 8, nLayers: 2, nDenseLayers: 1, nHeads: 2,
      qLoraRank: 8, kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, maxSeqLen: 32, initStd: 0.3, seed: 3, mlaAbsorb: true,
    });
    const model = new TransformerLM(config);
    const lora = applyLora(model, { r: 2, targetModules: ["kv_b_proj", "q_b_proj"] });
    setLoraB(lora, (i) => Math.cos(i) * 0.5);
    const out = await generate(model, [[3, 1, 4]], { maxNewTokens: 5, temperature: 0, returnLogProbs: true });
    const seq = out.sequences[0];
    const full = logitsOf(model, [seq.slice(0, -1)]);
    out.completionIds[0].forEach((token, j) => {
      const row = full.slice((2 + j) * 20, (3 + j) * 20);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
      expect(out.completionLogProbs![0][j]).toBeCloseTo(row[token] - lse, 4);
    });
    lora.dispose();
    model.dispose();
  });

  it("dropout only while training; gradient checkpointing gives the adapters the same gradients", () => {
    const model = new TransformerLM(LLAMA);
    const lora = applyLora(model, { r: 4, dropout: 0.5, targetModules: ["q_proj", "v_proj"] });
    setLoraB(lora, (i) => Math.sin(i) * 0.3);
    expect(logitsOf(model, ROWS)).not.toEqual(logitsOf(model, ROWS));
    lora.setTraining(false);
    const evalLogits = logitsOf(model, ROWS);
    expect(logitsOf(model, ROWS)).toEqual(evalLogits);
    const inputs = tokensOf(ROWS);
    const grads = (checkpointing: boolean) => {
      model.setGradientCheckpointing(checkpointing);
      const before = memory().numTensors;
      const { value, grads: g } = valueAndGradsOf(() => model.loss(inputs, inputs), lora.parameters());
      const host = g.map((t: Tensor) => Array.from(t.dataSync()));
      dispose([value, g]);
      expect(memory().numTensors).toBe(before);
      return host;
    };
    expect(grads(true)).toEqual(grads(false));
    dispose(inputs);
    lora.dispose();
    model.dispose();
  });
});

describe("LoRA on FP8-stored weights", () => {
  it("adapts the dequantised layer and trains, but refuses to merge into FP8 codes", () => {
    class Fp8Layer extends Module {
      readonly proj = this.addModule("proj", new Linear(4, 3, { fp8Weight: true }));
    }
    const m = new Fp8Layer();
    const lora = applyLora(m, { r: 2, targetModules: ["proj"] });
    setLoraB(lora, (i) => 0.1 * (i + 1));
    const x = tensor([[1, -2, 0.5, 3]]);
    const base = tidy(() => lora.withAdaptersDisabled(() => m.proj.forward(x)));
    const adapted = tidy(() => m.proj.forward(x));
    const delta = tidy(() => lora.adapters.get("proj")!.adapter.forward(x));
    Array.from(adapted.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(base.dataSync()[i] + delta.dataSync()[i], 5));
    const { value, grads } = valueAndGradsOf(() => sum(m.proj.forward(x)), lora.parameters());
    expect(grads.every((g) => Array.from(g.dataSync()).some((v) => v !== 0))).toBe(true);
    expect(() => lora.merge()).toThrow(/store FP8 weights, which cannot take the merged update/);
    dispose([x, base, adapted, delta, value, grads]);
    lora.dispose();
    m.dispose();
  });
});

describe("LoRA errors", () => {
  it("a target that matches nothing lists the model's Linear layer names; non-Linear targets are refused", () => {
    const model = new TransformerLM(LLAMA);
    expect(() => applyLora(model, { targetModules: ["query"] })).toThrow(/match no Linear layer of the model \(its Linear layers are named q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head\)/);
    expect(() => applyLora(model, { targetModules: ["mlp"] })).toThrow(/model.layers.0.mlp \(SwiGLU\).*Linear layers only/);
    expect(() => applyLora(model, { r: 0 })).toThrow(LoraError);
    expect(() => applyLora(model, { r: 0 })).toThrow(/lora.r/);
    expect(() => applyLora(model, { targetModules: "(" })).toThrow(/not a valid regular expression/);
    expect(() => applyLora(model, { rank: 4 } as never)).toThrow(/Unrecognized key/);
    const once = applyLora(model);
    expect(() => applyLora(model)).toThrow(/already has an adapter/);
    once.merge();
    expect(() => once.merge()).toThrow(/already merged or unloaded/);
    model.dispose();
  });

  it("a bad adapter folder fails with the file and what to change, and leaves the model unadapted", async () => {
    const model = new TransformerLM(LLAMA);
    const folder = join(dir, "bad");
    await expect(loadLoraAdapter(model, folder)).rejects.toThrow(/adapter_config.json: cannot read the adapter config/);
    const lora = applyLora(model, { r: 2 });
    await saveLoraAdapter(lora, folder);
    lora.unload();
    const write = (config: Record<string, unknown>) => writeFile(join(folder, "adapter_config.json"), JSON.stringify(config));
    const good = JSON.parse(await readFile(join(folder, "adapter_config.json"), "utf8"));
    await write({ ...good, use_dora: true });
    await expect(loadLoraAdapter(model, folder)).rejects.toThrow(/use_dora = true is not supported \(DoRA/);
    await write({ ...good, peft_type: "IA3" });
    await expect(loadLoraAdapter(model, folder)).rejects.toThrow(/peft_type must be "LORA"/);
    await write({ ...good, r: 3 });
    await expect(loadLoraAdapter(model, folder)).rejects.toThrow(/adapter_model.safetensors: cannot load state dict:[\s\S]*lora_A.weight \(model \[3,16\] f32, state dict \[2,16\] f32\)/);
    await writeFile(join(folder, "adapter_config.json"), "{ nope");
    await expect(loadLoraAdapter(model, folder)).rejects.toThrow(/not valid JSON/);
    expect(model.parameters().every((p) => p.trainable)).toBe(true);
    expect(applyLora(model).adapters.size).toBe(4);
    model.dispose();
  });
});
