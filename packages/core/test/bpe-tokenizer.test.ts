import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BpeTokenizer, TokenizerError, loadBpeTokenizer, r1ZeroPrompt, trainBpe } from "../src/index.ts";

const corpus = [
  r1ZeroPrompt("12+7") + "<think>\n2+7=9\n1+0=1\n</think>\n<answer>\n19\n</answer><|endoftext|>",
  r1ZeroPrompt("45+45") + "<think>\n5+5=10\n4+4+1=9\n</think>\n<answer>\n90\n</answer><|endoftext|>",
  r1ZeroPrompt("3+98") + "The answer is 101.<|endoftext|>",
];

describe("BPE tokenizer", () => {
  it("learns merges by frequency (ties to the first pair) from hand-checkable text", () => {
    // "ab" occurs 3 times, "bc" twice; after merging a+b, "ab"+"c" occurs twice.
    const tok = trainBpe(["abc", "abc", "ab", "x"], { vocabSize: 100, minFrequency: 2, splitDigits: false });
    expect(tok.merges).toEqual([["a", "b"], ["ab", "c"]]);
    expect(tok.vocab).toEqual(["a", "b", "c", "x", "ab", "abc"]);
    expect(tok.encode("abcab")).toEqual([5, 4]);
    expect(tok.decode([5, 4])).toBe("abcab");
  });

  it("keeps each digit a single token and compresses the repeated template to a few tokens", () => {
    const tok = trainBpe(corpus, { vocabSize: 400, specialTokens: ["<|endoftext|>"] });
    const prompt = r1ZeroPrompt("123+45");
    const ids = tok.encode(prompt);
    expect(tok.decode(ids)).toBe(prompt);
    expect(ids.length).toBeLessThan(12);
    const digits = ids.map((id) => tok.idToToken(id)!).filter((t) => /\d/.test(t));
    expect(digits).toEqual(["1", "2", "3", "4", "5"]);
    const eos = tok.tokenToId("<|endoftext|>")!;
    expect(eos).toBe(0);
    expect(tok.encode("</answer><|endoftext|>").at(-1)).toBe(eos);
    // Special tokens are not learnt from the text: written out, they are plain (here unknown) characters.
    expect(() => tok.encode("<|endoftext|>", { allowSpecial: false })).toThrow(/character "|" at index 1 is not in the vocab/);
  });

  it("round-trips through the Hugging Face tokenizer.json form", () => {
    const tok = trainBpe(corpus, { vocabSize: 300, specialTokens: ["<|endoftext|>"] });
    const json = JSON.parse(JSON.stringify(tok.toJSON()));
    expect(json.model.type).toBe("BPE");
    expect(json.pre_tokenizer).toEqual({ type: "Split", pattern: { Regex: "\\d" }, behavior: "Isolated", invert: false });
    expect(json.added_tokens[0]).toMatchObject({ id: 0, content: "<|endoftext|>", special: true });
    const back = BpeTokenizer.fromJSON(json);
    for (const text of corpus) expect(back.encode(text)).toEqual(tok.encode(text));
    expect(back.vocab).toEqual(tok.vocab);
  });

  it("fails clearly on unknown characters, ids and unsupported tokenizer.json kinds", () => {
    const tok = trainBpe(corpus, { vocabSize: 200, specialTokens: ["<|endoftext|>"] });
    expect(() => tok.encode("12+7=§")).toThrow(/character "§" at index 5 is not in the vocab/);
    expect(() => tok.decode([0, 99999])).toThrow(/id 99999 at position 1 is outside the vocab/);
    expect(() => BpeTokenizer.fromJSON({ model: { type: "WordPiece" } })).toThrow(/model.type must be "BPE"/);
    expect(() => BpeTokenizer.fromJSON({ model: { type: "BPE", vocab: { a: 0 }, merges: [["a", "b"]] } })).toThrow(TokenizerError);
  });

  // Found by the fuzzer (fuzz/targets/tokenizer-json.ts, seed 16, case 2002 of 10,000): an entry of
  // added_tokens that is not an object ([null]) threw "Cannot read properties of null (reading 'special')".
  it("loadBpeTokenizer names the file and the field: a null added_tokens entry, a merge outside the vocab", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-tokenizer-"));
    try {
      const tok = trainBpe(corpus, { vocabSize: 120, specialTokens: ["<|endoftext|>"] });
      const file = join(dir, "tokenizer.json");
      await writeFile(file, JSON.stringify({ ...tok.toJSON(), added_tokens: [null] }));
      const error = await loadBpeTokenizer(file).catch((e) => e);
      expect(error).toBeInstanceOf(TokenizerError);
      expect(error.message).toBe(`${file}: added_tokens[0] must be an object { id, content, special }, got null`);
      const json = tok.toJSON();
      await writeFile(file, JSON.stringify({ ...json, model: { ...json.model, merges: [["q", "§"]] } }));
      await expect(loadBpeTokenizer(file)).rejects.toThrow(`${file}: merge 0 ("q" + "§") uses "§", which is not in the vocab`);
      await writeFile(file, JSON.stringify(json));
      expect((await loadBpeTokenizer(file)).encode("12+7")).toEqual(tok.encode("12+7"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
