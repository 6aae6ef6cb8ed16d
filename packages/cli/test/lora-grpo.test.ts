/**
 * LoRA GRPO on the demo model through `r1ts run` (shortened: 2 steps, 8 held-out problems, reference
 * backend): the run writes a PEFT adapter folder and the merged model; the folder, loaded onto a fresh
 * copy of the base model, gives the merged model's logits, and so does the final checkpoint read as a
 * model bundle (base + adapters merged on load). The full run's accuracy is in docs/grpo.md.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelBundle, loadLoraAdapter, loadModelBundle, setBackend, tensor, tidy } from "@r1ts/core";
import { resolveBundle } from "../src/commands/bundles.ts";
import { demoConfig } from "../src/commands/demo.ts";
import { r1ts } from "./helpers.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-lora-grpo-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function logits(bundle: Pick<ModelBundle, "model" | "tokenizer">, prompts: string[]): number[] {
  const out: number[] = [];
  for (const p of prompts) {
    const ids = bundle.tokenizer.encode(p);
    const t = tensor(Int32Array.from(ids), [1, ids.length], "i32");
    out.push(...tidy(() => bundle.model.forward(t)).dataSync());
    t.dispose();
  }
  return out;
}

describe("LoRA GRPO on the demo model", () => {
  it("saves an adapter folder that reloads onto the base model and merges to the same logits", async () => {
    const runDir = join(root, "run");
    const demo = await demoConfig({ steps: 2, backend: "reference", heldOut: 8, out: runDir });
    const config = { ...demo, grpo: { ...demo.grpo, lora: { r: 8, alpha: 16, targetModules: "all-linear" }, lr: 2e-3 } };
    const file = join(root, "lora.json");
    await writeFile(file, JSON.stringify({ ...config, model: { bundle: resolveBundle("builtin:base-arithmetic") } }));
    const { code, stdout } = await r1ts("run", file, "--json");
    expect(code).toBe(0);
    const summary = JSON.parse(stdout.at(-1)!);
    expect(summary.steps).toBe(2);
    for (const f of ["adapter/adapter_config.json", "adapter/adapter_model.safetensors", "model/model.safetensors"]) expect(existsSync(join(runDir, f)), f).toBe(true);

    await setBackend("reference");
    const prompts = ["A conversation between User and Assistant. User: 12+34. Assistant:", "User: 7+58. Assistant: <think>"];
    const merged = await loadModelBundle(join(runDir, "model"));
    const base = await loadModelBundle(resolveBundle("builtin:base-arithmetic"));
    const baseLogits = logits(base, prompts);
    const lora = await loadLoraAdapter(base.model, join(runDir, "adapter"));
    expect(lora.config).toMatchObject({ r: 8, alpha: 16, targetModules: "all-linear" });
    const reloaded = logits(base, prompts);
    const expected = logits(merged, prompts);
    expect(reloaded).not.toEqual(baseLogits);
    reloaded.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-4));
    lora.merge();
    logits(base, prompts).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-4));
    const checkpoint = await loadModelBundle(summary.finalCheckpoint);
    logits(checkpoint, prompts).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-4));
    for (const b of [merged, base, checkpoint]) b.model.dispose();
  }, 300_000);
});
