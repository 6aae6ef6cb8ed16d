/**
 * A Hugging Face model folder in and out: load it (config.json, safetensors, tokenizer.json, chat template),
 * chat with it, and save it back in bf16 for transformers or vLLM. Give it a folder you downloaded, e.g.
 *   huggingface-cli download HuggingFaceTB/SmolLM2-135M-Instruct --local-dir models/smollm2-135m-instruct
 *   npx -y pnpm@12.4.2 exec tsx examples/hf-model.ts models/smollm2-135m-instruct runs/smollm2-copy
 * Without arguments it first builds a tiny random Qwen2-style folder (nothing is downloaded).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as r from "@r1ts/core";
import { writeTinyHfFolder } from "@r1ts/core/testing";

export interface HfModelResult {
  modelType: string;
  parameters: number;
  prompt: string;
  completion: string;
  savedFiles: string[];
  /** The saved folder reloads to the same greedy completion. */
  reloadedCompletion: string;
}

export async function hfModel(modelDir?: string, outDir?: string): Promise<HfModelResult> {
  await r.setBackend("reference");
  const scratch = modelDir && outDir ? undefined : await mkdtemp(join(tmpdir(), "r1ts-hf-example-"));
  const source = modelDir ?? join(scratch!, "tiny-qwen2");
  if (!modelDir) await writeTinyHfFolder(source, { seed: 1 });

  const { model, tokenizer, generationConfig, modelType, notices } = await r.loadPretrained(source);
  for (const notice of notices) console.error(`note: ${notice}`);
  if (!tokenizer) throw new Error(`${source} has no tokenizer.json`);
  console.log(`${modelType}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters, ${tokenizer.vocabSize} tokens`);

  // The chat template renders the conversation as the model was trained to read it.
  const prompt = tokenizer.applyChatTemplate([{ role: "user", content: "What is 2+2?" }], { addGenerationPrompt: true });
  const complete = async (m: r.TransformerLM): Promise<string> => {
    const out = await r.generate(m, [tokenizer.encode(prompt, { addSpecialTokens: false })], {
      maxNewTokens: 16, temperature: 0, eosTokenId: generationConfig?.eosTokenIds ?? tokenizer.eosTokenId, tokenizer,
    });
    return out.texts![0];
  };
  const completion = await complete(model);
  console.log(JSON.stringify(prompt), "->", JSON.stringify(completion));

  // bf16 weights, HF names, tokenizer files: what transformers' from_pretrained and vLLM read.
  const target = outDir ?? join(scratch!, "saved");
  const saved = await r.savePretrained(target, { model, tokenizer, dtype: "bf16" });
  console.log(`saved ${saved.files.join(", ")} (${(saved.totalBytes / 2 ** 20).toFixed(1)} MiB) to ${target}`);
  const again = await r.loadPretrained(target);
  const reloadedCompletion = await complete(again.model);
  const parameters = again.model.numParameters();
  model.dispose();
  again.model.dispose();
  if (scratch && !outDir) await rm(scratch, { recursive: true, force: true });
  return { modelType, parameters, prompt, completion, savedFiles: saved.files, reloadedCompletion };
}

if (import.meta.url === `file://${process.argv[1]}`) await hfModel(process.argv[2], process.argv[3]);
