/**
 * A tiny Hugging Face model folder built on the spot (no download), for tests and examples that need a
 * whole folder: a random Qwen2-style (or other) model, a character-level BPE tokenizer.json over printable
 * ASCII with ChatML special tokens, and a ChatML chat template, written by savePretrained.
 */
import { BpeTokenizer } from "../data/bpe-tokenizer.ts";
import { HfTokenizer } from "../data/hf-tokenizer.ts";
import { savePretrained } from "../hf/save-pretrained.ts";
import type { TransformerConfigInput } from "../nn/transformer-config.ts";
import { TransformerLM } from "../nn/transformer-lm.ts";

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/** The tokenizer of tiny folders: one token per printable ASCII character and newline, ChatML specials, <|im_end|> as EOS. */
export function tinyHfTokenizer(): HfTokenizer {
  const chars = ["\n", ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))];
  const bpe = new BpeTokenizer({ vocab: [...SPECIALS, ...chars], merges: [], specialTokens: SPECIALS });
  return new HfTokenizer(bpe.toJSON() as unknown as Record<string, unknown>, {
    tokenizer_class: "PreTrainedTokenizerFast",
    eos_token: "<|im_end|>",
    pad_token: "<|endoftext|>",
    bos_token: null,
    chat_template: CHATML_TEMPLATE,
  });
}

export interface TinyHfFolderOptions {
  /** Overrides of the model config (default: a 2-layer Qwen2-style model, dim 32). */
  model?: Partial<TransformerConfigInput>;
  seed?: number;
}

/** Writes a tiny HF folder at `dir` (config.json, model.safetensors, generation_config.json, tokenizer files). */
export async function writeTinyHfFolder(dir: string, { model = {}, seed = 0 }: TinyHfFolderOptions = {}): Promise<{ tokenizer: HfTokenizer }> {
  const tokenizer = tinyHfTokenizer();
  const lm = new TransformerLM({
    vocabSize: tokenizer.vocabSize, dim: 32, interDim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, maxSeqLen: 512, attentionBias: true,
    tieEmbeddings: true, ropeTheta: 10000, initStd: 0.05, seed, ...model,
  });
  await savePretrained(dir, { model: lm, tokenizer, generationConfig: { eos_token_id: [tokenizer.eosTokenId!], pad_token_id: tokenizer.padTokenId } });
  lm.dispose();
  return { tokenizer };
}
