/**
 * LoRA in five minutes: adapters on a model's attention projections, trained with the base frozen and
 * gradient checkpointing on, saved as a Hugging Face PEFT adapter folder, loaded onto a fresh copy of
 * the base model, and merged into it for export.
 *   npx -y pnpm@12.4.2 exec tsx examples/lora-adapter.ts [outDir]
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as r from "@r1ts/core";

const BASE: r.TransformerConfigInput = { vocabSize: 12, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 64, maxSeqLen: 32, initStd: 0.1, seed: 1 };

/** Rows of the toy task: after "0" comes the sequence counted up by one (mod 10), e.g. 3 4 0 -> 4 5. */
function batch(rng: r.Generator, rows: number): { inputs: r.Tensor; targets: r.Tensor; mask: r.Tensor } {
  const len = 4;
  const width = 2 * len;
  const inputs = new Int32Array(rows * width);
  const targets = new Int32Array(rows * width);
  const mask = new Float32Array(rows * width);
  for (let b = 0; b < rows; b++) {
    const digits = Array.from({ length: len - 1 }, () => 1 + rng.int(9));
    const seq = [...digits, 0, ...digits.map((d) => 1 + (d % 9)), 11];
    for (let t = 0; t < width; t++) {
      inputs[b * width + t] = seq[t];
      targets[b * width + t] = seq[t + 1];
      mask[b * width + t] = t >= len - 1 ? 1 : 0;
    }
  }
  return { inputs: r.tensor(inputs, [rows, width], "i32"), targets: r.tensor(targets, [rows, width], "i32"), mask: r.tensor(mask, [rows, width]) };
}

export async function loraAdapter(outDir?: string): Promise<{ lossBefore: number; lossAfter: number; trainable: number; total: number; reloadedMatches: boolean; mergedMaxDiff: number; adapterDir: string }> {
  await r.setBackend("reference");
  const model = new r.TransformerLM(BASE);
  const lora = r.applyLora(model, { r: 4, alpha: 8, targetModules: ["q_proj", "k_proj", "v_proj", "o_proj"] });
  model.setGradientCheckpointing(true); // recompute each block in backward: same gradients, less memory
  console.log(`trainable parameters: ${lora.numParameters()} of ${model.numParameters() + lora.numParameters()}`);

  const rng = new r.Generator(5);
  const evalBatch = batch(new r.Generator(99), 16);
  const evalLoss = () => r.tidy(() => model.loss(evalBatch.inputs, evalBatch.targets, evalBatch.mask)).itemSync();
  const lossBefore = evalLoss();
  const optimizer = new r.AdamW(lora.namedParameters(), { lr: 0.02 }); // only the adapters are optimised
  for (let step = 0; step < 60; step++) {
    const b = batch(rng, 16);
    const { value, grads } = r.valueAndGradsOf(() => model.loss(b.inputs, b.targets, b.mask), lora.parameters());
    optimizer.step(grads);
    r.dispose([value, grads, b]);
  }
  const lossAfter = evalLoss();
  console.log(`held-out loss: ${lossBefore.toFixed(3)} -> ${lossAfter.toFixed(3)}`);

  // Save in PEFT's format, load onto a fresh base model, then merge W += (alpha / r) B A for export.
  const adapterDir = join(outDir ?? (await mkdtemp(join(tmpdir(), "r1ts-lora-"))), "adapter");
  await r.saveLoraAdapter(lora, adapterDir, { baseModelNameOrPath: "examples/lora-adapter" });
  const logits = (m: r.TransformerLM) => Array.from(r.tidy(() => m.forward(evalBatch.inputs)).dataSync());
  const trained = logits(model);
  const fresh = new r.TransformerLM(BASE);
  const reloaded = await r.loadLoraAdapter(fresh, adapterDir);
  const reloadedMatches = logits(fresh).every((v, i) => v === trained[i]);
  reloaded.merge(); // fresh is now a plain TransformerLM: save it with saveCheckpoint / savePretrained
  const mergedMaxDiff = Math.max(...logits(fresh).map((v, i) => Math.abs(v - trained[i])));
  console.log(`adapter folder ${adapterDir}: reloaded logits identical: ${reloadedMatches}; merged max |diff| ${mergedMaxDiff.toExponential(2)}`);

  const trainable = lora.numParameters();
  const total = model.numParameters() + trainable;
  optimizer.dispose();
  r.dispose(evalBatch);
  lora.dispose();
  model.dispose();
  fresh.dispose();
  return { lossBefore, lossAfter, trainable, total, reloadedMatches, mergedMaxDiff, adapterDir };
}

if (import.meta.url === `file://${process.argv[1]}`) await loraAdapter(process.argv[2]);
