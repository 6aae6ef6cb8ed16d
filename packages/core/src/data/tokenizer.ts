/**
 * The one tokenizer interface: what trainers, generation, rollout engines and evaluation need of a
 * tokenizer. The BPE tokenizer (HF tokenizer.json), the char tokenizer and plugins' tokenizers implement it.
 */
export interface Tokenizer {
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** The id of a (special) token, when the tokenizer can say; else a token's id is its one-id encoding. */
  tokenToId?(token: string): number | undefined;
}

/** Makes tokenizers of one kind; a plugin registers it (`api.registerTokenizer`). */
export interface TokenizerFactory {
  /** The tokenizer kind in configs (`char`, `bpe`, ...). */
  readonly name: string;
  create(options?: Record<string, unknown>): Tokenizer | Promise<Tokenizer>;
}

/** What decoding needs (generation turns completion ids back into text). */
export type TokenDecoder = Pick<Tokenizer, "decode">;
