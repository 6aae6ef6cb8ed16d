/**
 * A model folder of either kind r1ts reads: an r1ts model bundle (config.json with `model` and a
 * `tokenizer`, see run/model-bundle.ts) or a Hugging Face folder (config.json with `model_type`, safetensors
 * weights, tokenizer files; hf/load-pretrained.ts). Commands that take `--model DIR` use this, so both work.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { HfTokenizer } from "../data/hf-tokenizer.ts";
import type { ChatMessage } from "../data/chat-template.ts";
import { HfModelError } from "../hf/errors.ts";
import { isHfConfig } from "../hf/config.ts";
import { type LoadPretrainedOptions, type PretrainedModel, loadPretrained } from "../hf/load-pretrained.ts";
import type { TransformerLM } from "../nn/transformer-lm.ts";
import { type ModelBundle, loadModelBundle, readBundleConfig } from "../run/model-bundle.ts";
import { mapHfConfig } from "../hf/config.ts";
import { locateWeights } from "../hf/weights.ts";
import { readJsonFile } from "../util/json-file.ts";
import { r1ZeroPrompt } from "../tasks/template.ts";
import type { Tokenizer } from "../data/tokenizer.ts";

export type PromptStyle = "chat" | "r1-zero" | "raw";

export interface LoadedModel {
  kind: "bundle" | "hf";
  dir: string;
  model: TransformerLM;
  tokenizer: Tokenizer;
  /** Every token that ends a completion (the bundle's eos; HF: generation_config's, config.json's and the tokenizer's). */
  eosTokenIds: number[];
  /** The prompt style the model expects by default: "chat" for an HF folder with a chat template, else "r1-zero". */
  defaultPromptStyle: PromptStyle;
  /** The question (and optional system prompt) as token ids in `style` (chat: the template with its generation prompt). */
  promptIds(question: string, style?: PromptStyle, systemPrompt?: string): { prompt: string; ids: number[] };
  bundle?: ModelBundle;
  pretrained?: PretrainedModel;
}

/** Whether `dir` holds a Hugging Face model folder (a config.json with model_type). */
export function isHfModelFolder(dir: string): boolean {
  const file = join(dir, "config.json");
  if (!existsSync(file)) return false;
  try {
    return isHfConfig(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return false;
  }
}

/**
 * Checks a model folder without loading weights (so a bad --model fails before any backend starts): a
 * bundle's config.json, or an HF folder's config.json mapping, weight files and tokenizer.json.
 */
export async function checkModelFolder(dir: string): Promise<void> {
  if (!isHfModelFolder(dir)) {
    await readBundleConfig(dir);
    return;
  }
  const path = join(dir, "config.json");
  const fail = (problem: string): never => {
    throw new HfModelError(path, problem);
  };
  mapHfConfig((await readJsonFile(path, fail, { object: true })) as Record<string, unknown>, { source: path });
  await locateWeights(dir);
  if (!existsSync(join(dir, "tokenizer.json"))) throw new HfModelError(dir, "has no tokenizer.json (r1ts needs the model's tokenizer to generate or train)");
}

export async function loadModelFolder(dir: string, options: LoadPretrainedOptions = {}): Promise<LoadedModel> {
  if (!isHfModelFolder(dir)) {
    const bundle = await loadModelBundle(dir);
    return {
      kind: "bundle",
      dir,
      model: bundle.model,
      tokenizer: bundle.tokenizer,
      eosTokenIds: [bundle.eosTokenId],
      defaultPromptStyle: "r1-zero",
      promptIds(question, style = "r1-zero", systemPrompt) {
        if (style === "chat" || systemPrompt !== undefined) throw new HfModelError(join(dir, "config.json"), "an r1ts bundle has no chat template: use the r1-zero or raw prompt style");
        const prompt = style === "r1-zero" ? r1ZeroPrompt(question) : question;
        return { prompt, ids: bundle.tokenizer.encode(prompt) };
      },
      bundle,
    };
  }
  const pretrained = await loadPretrained(dir, options);
  const tokenizer = pretrained.tokenizer;
  if (!tokenizer) throw new HfModelError(dir, "has no tokenizer.json (r1ts needs the model's tokenizer to generate or train)");
  const eos = new Set<number>(pretrained.generationConfig?.eosTokenIds ?? []);
  const configEos = pretrained.config.eos_token_id;
  for (const id of Array.isArray(configEos) ? configEos : [configEos]) if (typeof id === "number") eos.add(id);
  if (tokenizer.eosTokenId !== undefined) eos.add(tokenizer.eosTokenId);
  const hasTemplate = tokenizer.chatTemplate() !== undefined;
  return {
    kind: "hf",
    dir,
    model: pretrained.model,
    tokenizer,
    eosTokenIds: [...eos],
    defaultPromptStyle: hasTemplate ? "chat" : "r1-zero",
    promptIds(question, style = hasTemplate ? "chat" : "r1-zero", systemPrompt) {
      return hfPromptIds(tokenizer, question, style, systemPrompt);
    },
    pretrained,
  };
}

function hfPromptIds(tokenizer: HfTokenizer, question: string, style: PromptStyle, systemPrompt: string | undefined): { prompt: string; ids: number[] } {
  if (style === "chat") {
    const messages: ChatMessage[] = [...(systemPrompt !== undefined ? [{ role: "system", content: systemPrompt }] : []), { role: "user", content: question }];
    const prompt = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
    // The template writes the special tokens it wants (BOS included), as transformers tokenizes it.
    return { prompt, ids: tokenizer.encode(prompt, { addSpecialTokens: false }) };
  }
  if (systemPrompt !== undefined) throw new HfModelError("--system", "a system prompt needs the chat prompt style");
  const prompt = style === "r1-zero" ? r1ZeroPrompt(question) : question;
  return { prompt, ids: tokenizer.encode(prompt) };
}
