/**
 * A byte-pair-encoding tokenizer (Sennrich et al. 2016) over Unicode characters, trained on a corpus
 * (`trainBpe`) and saved as a Hugging Face `tokenizer.json` (BPE model, merges as pairs, a `Split`
 * pre-tokenizer that isolates each digit, a `Fuse` decoder, special tokens as added tokens).
 *
 * Digits stay single tokens (as in Llama's tokenizer), so numbers are spelled digit by digit and
 * arithmetic generalises; everything else merges freely, so a prompt template repeated in every example
 * (the R1-Zero template of docs/r1-recipe.md is ~300 characters) becomes a handful of tokens.
 */
import { TokenizerError } from "./char-tokenizer.ts";
import { previewValue } from "../util/preview.ts";

export interface BpeTokenizerSpec {
  /** Every token by id; special tokens first. */
  vocab: readonly string[];
  /** Merge rules in priority order: [left, right] -> left + right. */
  merges: readonly (readonly [string, string])[];
  specialTokens: readonly string[];
  /** Isolate each digit 0-9 before merging (default true). */
  splitDigits?: boolean;
}

export interface BpeEncodeOptions {
  /** Recognise special tokens written in the text (default true). */
  allowSpecial?: boolean;
}

export class BpeTokenizer {
  readonly vocab: readonly string[];
  readonly merges: readonly (readonly [string, string])[];
  readonly specialTokens: readonly string[];
  readonly splitDigits: boolean;
  private readonly ids: ReadonlyMap<string, number>;
  private readonly ranks: ReadonlyMap<string, number>;
  private readonly cache = new Map<string, number[]>();

  constructor(spec: BpeTokenizerSpec) {
    this.vocab = [...spec.vocab];
    this.merges = spec.merges.map(([a, b]) => [a, b] as const);
    this.specialTokens = [...spec.specialTokens];
    this.splitDigits = spec.splitDigits ?? true;
    const ids = new Map<string, number>();
    this.vocab.forEach((token, id) => {
      if (typeof token !== "string" || token.length === 0) throw new TokenizerError(`BpeTokenizer: vocab[${id}] must be a non-empty string, got ${previewValue(token)}`);
      if (ids.has(token)) throw new TokenizerError(`BpeTokenizer: token ${JSON.stringify(token)} appears twice in the vocab (ids ${ids.get(token)} and ${id})`);
      ids.set(token, id);
    });
    for (const s of this.specialTokens) if (!ids.has(s)) throw new TokenizerError(`BpeTokenizer: special token ${JSON.stringify(s)} is not in the vocab`);
    const ranks = new Map<string, number>();
    this.merges.forEach(([a, b], rank) => {
      for (const part of [a, b, a + b]) {
        if (!ids.has(part)) throw new TokenizerError(`BpeTokenizer: merge ${rank} (${JSON.stringify(a)} + ${JSON.stringify(b)}) uses ${JSON.stringify(part)}, which is not in the vocab`);
      }
      ranks.set(pairKey(a, b), rank);
    });
    this.ids = ids;
    this.ranks = ranks;
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** The id of `token` (a whole token, e.g. a special token), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  encode(text: string, { allowSpecial = true }: BpeEncodeOptions = {}): number[] {
    if (typeof text !== "string") throw new TokenizerError(`BpeTokenizer.encode: expected a string, got ${typeof text}`);
    const out: number[] = [];
    const specials = allowSpecial ? this.specialTokens : [];
    let i = 0;
    let plainStart = 0;
    while (i < text.length) {
      const special = specials.find((s) => text.startsWith(s, i));
      if (special === undefined) {
        i++;
        continue;
      }
      this.encodePlain(text.slice(plainStart, i), plainStart, out);
      out.push(this.ids.get(special)!);
      i += special.length;
      plainStart = i;
    }
    this.encodePlain(text.slice(plainStart), plainStart, out);
    return out;
  }

  decode(ids: readonly number[], { skipSpecialTokens = false }: { skipSpecialTokens?: boolean } = {}): string {
    let text = "";
    for (let i = 0; i < ids.length; i++) {
      const token = this.vocab[ids[i]];
      if (token === undefined) throw new TokenizerError(`BpeTokenizer.decode: id ${ids[i]} at position ${i} is outside the vocab [0, ${this.vocab.length})`);
      if (skipSpecialTokens && this.specialTokens.includes(token)) continue;
      text += token;
    }
    return text;
  }

  private encodePlain(text: string, offset: number, out: number[]): void {
    for (const piece of preTokenize(text, this.splitDigits)) {
      let ids = this.cache.get(piece.text);
      if (ids === undefined) {
        ids = this.encodePiece(piece.text, offset + piece.start);
        if (this.cache.size < 100_000) this.cache.set(piece.text, ids);
      }
      out.push(...ids);
    }
  }

  /** Applies the merges to one pre-token, lowest rank first (as HF's BPE model does). */
  private encodePiece(piece: string, at: number): number[] {
    const symbols = Array.from(piece);
    let pos = at;
    for (const ch of symbols) {
      if (!this.ids.has(ch)) throw new TokenizerError(`BpeTokenizer.encode: character ${JSON.stringify(ch)} at index ${pos} is not in the vocab`);
      pos += ch.length;
    }
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let j = 0; j + 1 < symbols.length; j++) {
        const rank = this.ranks.get(pairKey(symbols[j], symbols[j + 1]));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = j;
        }
      }
      if (best < 0) break;
      const [a, b] = this.merges[bestRank];
      const merged: string[] = [];
      for (let j = 0; j < symbols.length; j++) {
        if (j + 1 < symbols.length && symbols[j] === a && symbols[j + 1] === b) {
          merged.push(a + b);
          j++;
        } else merged.push(symbols[j]);
      }
      symbols.splice(0, symbols.length, ...merged);
    }
    return symbols.map((s) => this.ids.get(s)!);
  }

  /** The Hugging Face `tokenizer.json` form (loadable by `BpeTokenizer.fromJSON` and by HF tokenizers). */
  toJSON(): HfTokenizerJson {
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: this.specialTokens.map((content) => ({
        id: this.ids.get(content)!,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: this.splitDigits ? { type: "Split", pattern: { Regex: "\\d" }, behavior: "Isolated", invert: false } : null,
      post_processor: null,
      decoder: { type: "Fuse" },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(this.vocab.map((t, id) => [t, id])),
        merges: this.merges.map(([a, b]) => [a, b]),
      },
    };
  }

  /**
   * Reads a `tokenizer.json` of the kind `toJSON` writes: a BPE model over characters, no normalizer,
   * no pre-tokenizer or a digit `Split`. Other kinds (byte-level BPE, WordPiece, ...) fail, naming the
   * field; `source` (the file's path) starts every message.
   */
  static fromJSON(json: unknown, source = "tokenizer.json"): BpeTokenizer {
    const fail = (field: string, expected: string, got: unknown): never => {
      throw new TokenizerError(`${source}: ${field} must be ${expected}, got ${previewValue(got, 80)}`);
    };
    if (typeof json !== "object" || json === null) return fail("(root)", "an object", json);
    const j = json as Record<string, unknown>;
    const model = j.model as Record<string, unknown> | undefined;
    if (typeof model !== "object" || model === null || model.type !== "BPE") return fail("model.type", '"BPE"', model?.type);
    if (model.byte_fallback === true) fail("model.byte_fallback", "false (byte-level BPE is not supported)", true);
    if (j.normalizer !== null && j.normalizer !== undefined) fail("normalizer", "null", j.normalizer);
    const pre = j.pre_tokenizer as Record<string, unknown> | null | undefined;
    let splitDigits = false;
    if (pre !== null && pre !== undefined) {
      const pattern = pre.pattern as Record<string, unknown> | undefined;
      if (pre.type !== "Split" || pattern?.Regex !== "\\d" || pre.behavior !== "Isolated") {
        fail("pre_tokenizer", 'null or { type: "Split", pattern: { Regex: "\\\\d" }, behavior: "Isolated" }', pre);
      }
      splitDigits = true;
    }
    const vocabObject = model.vocab;
    if (typeof vocabObject !== "object" || vocabObject === null) return fail("model.vocab", "an object of token -> id", vocabObject);
    const vocab: string[] = [];
    for (const [token, id] of Object.entries(vocabObject as Record<string, unknown>)) {
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) fail(`model.vocab[${JSON.stringify(token)}]`, "an integer id >= 0", id);
      if (vocab[id as number] !== undefined) fail(`model.vocab[${JSON.stringify(token)}]`, `a unique id (${id} is also ${JSON.stringify(vocab[id as number])})`, id);
      vocab[id as number] = token;
    }
    for (let id = 0; id < vocab.length; id++) if (vocab[id] === undefined) fail("model.vocab", `ids 0..${vocab.length - 1} without gaps`, `no token for id ${id}`);
    if (!Array.isArray(model.merges)) return fail("model.merges", "an array", model.merges);
    const merges = (model.merges as unknown[]).map((m, i): [string, string] => {
      if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") return [m[0], m[1]];
      if (typeof m === "string" && m.split(" ").length === 2) return m.split(" ") as [string, string];
      return fail(`model.merges[${i}]`, '["left", "right"] or "left right"', m);
    });
    if (j.added_tokens !== undefined && j.added_tokens !== null && !Array.isArray(j.added_tokens)) fail("added_tokens", "an array", j.added_tokens);
    const added = (j.added_tokens ?? []) as unknown[];
    added.forEach((t, i) => {
      if (typeof t !== "object" || t === null || Array.isArray(t)) fail(`added_tokens[${i}]`, "an object { id, content, special }", t);
    });
    const specialTokens = (added as { content?: unknown; special?: unknown }[]).filter((t) => t.special === true && typeof t.content === "string").map((t) => t.content as string);
    try {
      return new BpeTokenizer({ vocab, merges, specialTokens, splitDigits });
    } catch (error) {
      // The constructor's checks (duplicate tokens, merges or special tokens outside the vocab) name the token.
      if (error instanceof TokenizerError) throw new TokenizerError(`${source}: ${error.message.replace(/^BpeTokenizer: /, "")}`, { cause: error });
      throw error;
    }
  }
}

export interface HfTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: { id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean }[];
  normalizer: null;
  pre_tokenizer: { type: "Split"; pattern: { Regex: string }; behavior: "Isolated"; invert: boolean } | null;
  post_processor: null;
  decoder: { type: "Fuse" };
  model: {
    type: "BPE";
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

/** Pre-tokens of `text`: each digit alone, the runs between digits whole (or the whole text). */
export function preTokenize(text: string, splitDigits: boolean): { text: string; start: number }[] {
  if (text.length === 0) return [];
  if (!splitDigits) return [{ text, start: 0 }];
  const out: { text: string; start: number }[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (i > start) out.push({ text: text.slice(start, i), start });
      out.push({ text: text[i], start: i });
      start = i + 1;
    }
  }
  if (start < text.length) out.push({ text: text.slice(start), start });
  return out;
}

function pairKey(a: string, b: string): string {
  return `${a}\u0000${b}`;
}
