/**
 * Learns BPE merges from a corpus (Sennrich et al. 2016, Algorithm 1): start from the characters, then
 * repeatedly merge the most frequent adjacent pair inside a pre-token until the vocab is full or no pair
 * occurs `minFrequency` times. Ties go to the pair that sorts first, so the result is deterministic.
 */
import { BpeTokenizer, preTokenize } from "./bpe-tokenizer.ts";
import { TokenizerError } from "./char-tokenizer.ts";

export interface TrainBpeOptions {
  /** The vocab size to reach (special tokens and characters included). */
  vocabSize: number;
  /** Tokens with the first ids (e.g. an end-of-text token); never learnt from the text. */
  specialTokens?: readonly string[];
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
  splitDigits?: boolean;
}

export function trainBpe(texts: Iterable<string>, options: TrainBpeOptions): BpeTokenizer {
  const { vocabSize, specialTokens = [], minFrequency = 2, splitDigits = true } = options;
  if (!Number.isSafeInteger(vocabSize) || vocabSize <= 0) throw new TokenizerError(`trainBpe: vocabSize must be a positive integer, got ${vocabSize}`);
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of splitOnSpecials(text, specialTokens).flatMap((part) => preTokenize(part, splitDigits))) counts.set(piece.text, (counts.get(piece.text) ?? 0) + 1);
  }
  const alphabet = new Set<string>();
  for (const piece of counts.keys()) for (const ch of piece) alphabet.add(ch);
  for (const s of specialTokens) alphabet.delete(s);
  const vocab = [...specialTokens, ...[...alphabet].sort()];
  if (vocab.length > vocabSize) throw new TokenizerError(`trainBpe: the corpus has ${alphabet.size} characters and ${specialTokens.length} special tokens, more than vocabSize ${vocabSize}`);
  const known = new Set(vocab);

  const words = [...counts].map(([piece, count]) => ({ symbols: Array.from(piece), count }));
  const merges: [string, string][] = [];
  while (vocab.length < vocabSize) {
    const pairs = new Map<string, { a: string; b: string; count: number }>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        const entry = pairs.get(key);
        if (entry) entry.count += count;
        else pairs.set(key, { a: symbols[i], b: symbols[i + 1], count });
      }
    }
    let best: { a: string; b: string; count: number } | undefined;
    for (const p of pairs.values()) {
      if (!best || p.count > best.count || (p.count === best.count && (p.a < best.a || (p.a === best.a && p.b < best.b)))) best = p;
    }
    if (!best || best.count < minFrequency) break;
    const { a, b } = best;
    merges.push([a, b]);
    // Two different pairs can spell the same token ("ab"+"c", "a"+"bc"): both merges, one vocab entry.
    if (!known.has(a + b)) {
      vocab.push(a + b);
      known.add(a + b);
    }
    for (const word of words) {
      const s = word.symbols;
      const merged: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(s[i]);
      }
      word.symbols = merged;
    }
  }
  return new BpeTokenizer({ vocab, merges, specialTokens, splitDigits });
}

/** The text between occurrences of the special tokens (which are never learnt from). */
function splitOnSpecials(text: string, specials: readonly string[]): string[] {
  let parts = [text];
  for (const s of specials) parts = parts.flatMap((p) => p.split(s));
  return parts.filter((p) => p.length > 0);
}
