/**
 * The one tokenizer interface: what trainers, generation, rollout engines and evaluation need of a
 * tokenizer. The BPE tokenizer (HF tokenizer.json), the char tokenizer and plugins' tokenizers implement it.
 */
export interface Tokenizer {
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** What decoding needs (generation turns completion ids back into text). */
export type TokenDecoder = Pick<Tokenizer, "decode">;
