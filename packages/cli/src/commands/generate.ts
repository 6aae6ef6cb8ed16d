/**
 * `r1ts generate`: completions from a model (an r1ts bundle or a Hugging Face folder) for a question, put
 * into the model's chat template (HF folders with one), the R1-Zero template, or fed raw.
 */
import { type PromptStyle, checkModelFolder, generate, loadModelFolder, setBackend } from "@r1ts/core";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { resolveBundle } from "./bundles.ts";
import { parseFlags } from "./flags.ts";

const usage = `usage: r1ts generate <question> [--model DIR|builtin:NAME] [--format chat|r1-zero|raw] [--raw] [--system TEXT]
                     [--samples N] [--max-new-tokens N] [--temperature T] [--top-p P] [--seed N] [--backend NAME] [--json]

Prints the model's completion(s) of the question. --model is an r1ts model bundle, builtin:base-arithmetic
(default), or a Hugging Face model folder (config.json + safetensors + tokenizer.json, e.g. one
\`huggingface-cli download\` made; docs/huggingface.md). The question goes into the model's chat template
as a user turn (HF folders with a template; --system adds a system turn), else into the R1-Zero template
(docs/r1-recipe.md), e.g. r1ts generate 47+85. --format picks the style; --raw is --format raw.
Temperature 0 (default) is greedy.`;

export const generateCommand: Command = {
  name: "generate",
  summary: "complete a question (chat or R1-Zero template, or raw text) with a model bundle or a Hugging Face folder",
  usage,
  async run(args) {
    const parsed = parseFlags(args, usage, {
          model: { type: "string", default: "builtin:base-arithmetic" }, raw: { type: "boolean", default: false }, samples: { type: "string", default: "1" },
          format: { type: "string" }, system: { type: "string" },
          "max-new-tokens": { type: "string", default: "40" }, temperature: { type: "string", default: "0" }, "top-p": { type: "string", default: "1" },
          seed: { type: "string", default: "0" }, backend: { type: "string", default: "auto" }, json: { type: "boolean", default: false },
    }, true);
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError(`expected one question or text\n\n${usage}`);
    const samples = Number(values.samples);
    if (!Number.isSafeInteger(samples) || samples < 1) throw new UsageError(`--samples must be a positive integer, got ${values.samples}`);
    const format = values.raw ? "raw" : (values.format as string | undefined);
    if (format !== undefined && !["chat", "r1-zero", "raw"].includes(format)) throw new UsageError(`--format must be chat, r1-zero or raw, got ${format}`);
    const dir = resolveBundle(values.model as string);
    await checkModelFolder(dir); // a missing or broken model fails before any backend starts
    await setBackend(values.backend as string);
    const loaded = await loadModelFolder(dir);
    try {
      const { prompt, ids } = loaded.promptIds(positionals[0], format as PromptStyle | undefined, values.system as string | undefined);
      const out = await generate(loaded.model, Array.from({ length: samples }, () => ids), {
        maxNewTokens: Number(values["max-new-tokens"]), temperature: Number(values.temperature), topP: Number(values["top-p"]),
        seed: Number(values.seed), eosTokenId: loaded.eosTokenIds, tokenizer: loaded.tokenizer,
      });
      out.texts!.forEach((text, i) => {
        if (values.json) console.log(JSON.stringify({ prompt, completion: text, tokens: out.completionLengths[i], finishReason: out.finishReasons[i] }));
        else console.log(`${samples > 1 ? `--- sample ${i + 1} (${out.finishReasons[i]})\n` : ""}${text}`);
      });
      return 0;
    } finally {
      loaded.model.dispose();
    }
  },
};
