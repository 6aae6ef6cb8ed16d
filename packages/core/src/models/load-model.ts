/**
 * A model folder of either kind r1ts reads, with what a command needs to prompt it: an r1ts model bundle
 * (config.json with `model` and a `tokenizer`, run/model-bundle.ts) or a Hugging Face folder (config.json
 * with `model_type`, safetensors weights, tokenizer files; run/hf-bundle.ts). Commands that take
 * `--model DIR` use this, so both work, with the chat template when the model has one.
 */
import type { ChatMessage } from "../data/chat-template.ts";
import { type HfTokenizer, HfPromptTokenizer } from "../data/hf-tokenizer.ts";
import { parseGenerationConfig } from "../hf/generation-config.ts";
import { HfModelError } from "../hf/errors.ts";
import type { TransformerLM } from "../nn/transformer-lm.ts";
import { type ModelBundle, loadModelBundle, readBundleConfig } from "../run/model-bundle.ts";
import { r1ZeroPrompt } from "../tasks/template.ts";
import type { Tokenizer } from "../data/tokenizer.ts";

export type PromptStyle = "chat" | "r1-zero" | "raw";

export interface LoadedModel {
  dir: string;
  bundle: ModelBundle;
  model: TransformerLM;
  tokenizer: Tokenizer;
  /** Every token that ends a completion: the bundle's eos, and an HF model's generation_config / config.json ones. */
  eosTokenIds: number[];
  /** The prompt style the model expects by default: "chat" when it has a chat template, else "r1-zero". */
  defaultPromptStyle: PromptStyle;
  /** The question (and optional system prompt) as token ids in `style` (chat: the template with its generation prompt). */
  promptIds(question: string, style?: PromptStyle, systemPrompt?: string): { prompt: string; ids: number[] };
}

/** Checks a model folder without loading weights, so a bad --model fails before any backend starts. */
export async function checkModelFolder(dir: string): Promise<void> {
  await readBundleConfig(dir);
}

export async function loadModelFolder(dir: string): Promise<LoadedModel> {
  const bundle = await loadModelBundle(dir);
  const hf = bundle.tokenizer instanceof HfPromptTokenizer ? bundle.tokenizer.hf : undefined;
  const eos = new Set<number>([bundle.eosTokenId]);
  const generation = bundle.config.hf?.generationConfig;
  if (generation) for (const id of parseGenerationConfig(generation).eosTokenIds) eos.add(id);
  const configEos = bundle.config.hf?.config.eos_token_id;
  for (const id of Array.isArray(configEos) ? configEos : [configEos]) if (typeof id === "number") eos.add(id);
  const defaultPromptStyle: PromptStyle = hf?.chatTemplate() !== undefined ? "chat" : "r1-zero";
  return {
    dir,
    bundle,
    model: bundle.model,
    tokenizer: bundle.tokenizer,
    eosTokenIds: [...eos],
    defaultPromptStyle,
    promptIds(question, style = defaultPromptStyle, systemPrompt) {
      if (style === "chat") {
        if (!hf) throw new HfModelError(`${dir}/config.json`, "this model has no chat template (an r1ts bundle with its own tokenizer): use the r1-zero or raw prompt style");
        return chatPromptIds(hf, question, systemPrompt);
      }
      if (systemPrompt !== undefined) throw new HfModelError("--system", "a system prompt needs the chat prompt style");
      const prompt = style === "r1-zero" ? r1ZeroPrompt(question) : question;
      // Plain text is encoded as transformers encodes it (an HF tokenizer adds BOS when its config says so).
      return { prompt, ids: hf ? hf.encode(prompt) : bundle.tokenizer.encode(prompt) };
    },
  };
}

function chatPromptIds(tokenizer: HfTokenizer, question: string, systemPrompt: string | undefined): { prompt: string; ids: number[] } {
  const messages: ChatMessage[] = [...(systemPrompt !== undefined ? [{ role: "system", content: systemPrompt }] : []), { role: "user", content: question }];
  const prompt = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
  // The template writes the special tokens it wants (BOS included), as transformers tokenizes it.
  return { prompt, ids: tokenizer.encode(prompt, { addSpecialTokens: false }) };
}
