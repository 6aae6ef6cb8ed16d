/**
 * How a model bundle's config.json names its tokenizer: an HF `tokenizer.json` object (the BPE tokenizer
 * r1ts trains and saves), or `{ factory: <name>, options }` for a tokenizer a plugin registered.
 */
import { R1tsError } from "../errors.ts";
import { BpeTokenizer } from "./bpe-tokenizer.ts";
import type { Tokenizer, TokenizerFactory } from "./tokenizer.ts";

export interface FactoryTokenizerSpec {
  factory: string;
  options?: Record<string, unknown>;
}

export class TokenizerSpecError extends R1tsError {}

export function isFactoryTokenizerSpec(spec: unknown): spec is FactoryTokenizerSpec {
  return typeof spec === "object" && spec !== null && typeof (spec as { factory?: unknown }).factory === "string";
}

/** The tokenizer a spec describes; `factories` are the run's registered ones; `where` names the spec in errors. */
export async function tokenizerFromSpec(spec: unknown, factories: ReadonlyMap<string, TokenizerFactory> = new Map(), where = "tokenizer"): Promise<Tokenizer> {
  if (isFactoryTokenizerSpec(spec)) {
    const factory = factories.get(spec.factory);
    if (!factory) {
      const known = [...factories.keys()].sort();
      throw new TokenizerSpecError(`${where}: unknown tokenizer "${spec.factory}". Registered: ${known.join(", ") || "(none)"}. Tokenizers come from plugins: list the plugin that provides it under "plugins".`);
    }
    return factory.create(spec.options ?? {});
  }
  // Anything else is read as a tokenizer.json; its errors name `where` and the field.
  return BpeTokenizer.fromJSON(spec, where);
}

/** The id of `token`: the tokenizer's own lookup, else its encoding when that is one id. */
export function tokenIdOf(tokenizer: Tokenizer, token: string): number | undefined {
  const id = tokenizer.tokenToId?.(token);
  if (id !== undefined) return id;
  const ids = tokenizer.encode(token);
  return ids.length === 1 ? ids[0] : undefined;
}
