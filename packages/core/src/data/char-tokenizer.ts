/**
 * A character-level tokenizer: one token per Unicode code point seen in a text, plus optional special
 * tokens (e.g. "<eos>") that take the first ids. Serialises to JSON and back.
 */
import { R1tsError } from "../errors.ts";

/** Text or ids that the tokenizer cannot handle; says which character or id, and where. */
export class TokenizerError extends R1tsError {}

export interface CharTokenizerOptions {
  /** Tokens placed before the characters (ids 0..n-1); encode never produces them from text. */
  specialTokens?: readonly string[];
  /** A special token that unknown characters map to; without one, unknown characters throw. */
  unkToken?: string;
}

export interface CharTokenizerJSON {
  type: "char";
  /** Every token by id: the special tokens, then one character each. */
  vocab: string[];
  specialTokens: string[];
  unkToken?: string;
}

export interface DecodeOptions {
  /** Leave special tokens out of the text (default false). */
  skipSpecialTokens?: boolean;
}

export class CharTokenizer {
  private readonly vocab: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;
  readonly specialTokens: readonly string[];
  readonly unkToken: string | undefined;
  private readonly unkId: number | undefined;

  /** A tokenizer with `vocab` as its tokens by id; the first `specialTokens.length` must be the special tokens. */
  constructor(vocab: readonly string[], { specialTokens = [], unkToken }: CharTokenizerOptions = {}) {
    specialTokens.forEach((s, i) => {
      if (vocab[i] !== s) throw new TokenizerError(`CharTokenizer: special token ${JSON.stringify(s)} must have id ${i}, found ${JSON.stringify(vocab[i])}`);
    });
    const ids = new Map<string, number>();
    vocab.forEach((token, id) => {
      if (id >= specialTokens.length && [...token].length !== 1) throw new TokenizerError(`CharTokenizer: token ${id} ${JSON.stringify(token)} is not a single character`);
      if (ids.has(token)) throw new TokenizerError(`CharTokenizer: token ${JSON.stringify(token)} appears twice (ids ${ids.get(token)} and ${id})`);
      ids.set(token, id);
    });
    if (unkToken !== undefined && !specialTokens.includes(unkToken)) throw new TokenizerError(`CharTokenizer: unkToken ${JSON.stringify(unkToken)} must be one of the special tokens`);
    this.vocab = [...vocab];
    this.ids = ids;
    this.specialTokens = [...specialTokens];
    this.unkToken = unkToken;
    this.unkId = unkToken === undefined ? undefined : ids.get(unkToken);
  }

  /** The special tokens, then every distinct character of `text` in code-point order. */
  static fromText(text: string, options: CharTokenizerOptions = {}): CharTokenizer {
    const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    const specials = options.specialTokens ?? [];
    return new CharTokenizer([...specials, ...chars.filter((c) => !specials.includes(c))], options);
  }

  static fromJSON(json: CharTokenizerJSON | string): CharTokenizer {
    const value = (typeof json === "string" ? JSON.parse(json) : json) as Partial<CharTokenizerJSON>;
    if (value?.type !== "char" || !Array.isArray(value.vocab) || !Array.isArray(value.specialTokens ?? [])) {
      throw new TokenizerError('CharTokenizer.fromJSON: expected { type: "char", vocab: string[], specialTokens: string[] }');
    }
    return new CharTokenizer(value.vocab, { specialTokens: value.specialTokens ?? [], unkToken: value.unkToken });
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** One id per character; special-token text is not parsed (it is encoded character by character). */
  encode(text: string): number[] {
    const out: number[] = [];
    let index = 0;
    for (const ch of text) {
      const id = this.specials(ch) ? undefined : this.ids.get(ch);
      if (id !== undefined) out.push(id);
      else if (this.unkId !== undefined) out.push(this.unkId);
      else throw new TokenizerError(`CharTokenizer.encode: character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}) at index ${index} is not in the vocabulary; build the tokenizer from text that contains it, or set an unkToken`);
      index += ch.length;
    }
    return out;
  }

  decode(ids: ArrayLike<number>, { skipSpecialTokens = false }: DecodeOptions = {}): string {
    let text = "";
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const token = Number.isInteger(id) ? this.vocab[id] : undefined;
      if (token === undefined) throw new TokenizerError(`CharTokenizer.decode: id ${id} at position ${i} is out of range [0, ${this.vocab.length})`);
      if (skipSpecialTokens && id < this.specialTokens.length) continue;
      text += token;
    }
    return text;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  toJSON(): CharTokenizerJSON {
    const json: CharTokenizerJSON = { type: "char", vocab: [...this.vocab], specialTokens: [...this.specialTokens] };
    if (this.unkToken !== undefined) json.unkToken = this.unkToken;
    return json;
  }

  /** Whether `ch` is a special token (those are never produced from text, even if one is a single character). */
  private specials(ch: string): boolean {
    return this.specialTokens.includes(ch);
  }
}
