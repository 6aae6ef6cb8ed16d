/** `r1ts generate`: completions from a model bundle for a question (in the R1-Zero template) or raw text. */
import { generate, loadModelBundle, r1ZeroPrompt, readBundleConfig, setBackend } from "@r1ts/core";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { resolveBundle } from "./bundles.ts";
import { parseFlags } from "./flags.ts";

const usage = `usage: r1ts generate <question> [--model DIR|builtin:NAME] [--raw] [--samples N]
                     [--max-new-tokens N] [--temperature T] [--top-p P] [--seed N] [--backend NAME] [--json]

Prints the model's completion(s) of the question put into the R1-Zero template (docs/r1-recipe.md),
e.g. r1ts generate 47+85. --raw feeds the text as is. Temperature 0 (default) is greedy.`;

export const generateCommand: Command = {
  name: "generate",
  summary: "complete a question (R1-Zero template) or raw text with a model bundle",
  usage,
  async run(args) {
    const parsed = parseFlags(args, usage, {
          model: { type: "string", default: "builtin:base-arithmetic" }, raw: { type: "boolean", default: false }, samples: { type: "string", default: "1" },
          "max-new-tokens": { type: "string", default: "40" }, temperature: { type: "string", default: "0" }, "top-p": { type: "string", default: "1" },
          seed: { type: "string", default: "0" }, backend: { type: "string", default: "auto" }, json: { type: "boolean", default: false },
    }, true);
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError(`expected one question or text\n\n${usage}`);
    const samples = Number(values.samples);
    if (!Number.isSafeInteger(samples) || samples < 1) throw new UsageError(`--samples must be a positive integer, got ${values.samples}`);
    const dir = resolveBundle(values.model as string);
    await readBundleConfig(dir); // a missing or broken model fails before any backend starts
    await setBackend(values.backend as string);
    const bundle = await loadModelBundle(dir);
    try {
      const prompt = values.raw ? positionals[0] : r1ZeroPrompt(positionals[0]);
      const ids = bundle.tokenizer.encode(prompt);
      const out = await generate(bundle.model, Array.from({ length: samples }, () => ids), {
        maxNewTokens: Number(values["max-new-tokens"]), temperature: Number(values.temperature), topP: Number(values["top-p"]),
        seed: Number(values.seed), eosTokenId: bundle.eosTokenId, tokenizer: bundle.tokenizer,
      });
      out.texts!.forEach((text, i) => {
        if (values.json) console.log(JSON.stringify({ prompt, completion: text, tokens: out.completionLengths[i], finishReason: out.finishReasons[i] }));
        else console.log(`${samples > 1 ? `--- sample ${i + 1} (${out.finishReasons[i]})\n` : ""}${text}`);
      });
      return 0;
    } finally {
      bundle.model.dispose();
    }
  },
};
