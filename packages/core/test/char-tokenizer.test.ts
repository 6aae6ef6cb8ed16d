import { describe, expect, it } from "vitest";
import { CharTokenizer, TokenizerError } from "../src/index.ts";

describe("CharTokenizer", () => {
  it("builds a sorted vocabulary from text and round-trips encode/decode", () => {
    const tok = CharTokenizer.fromText("12+7=19\n");
    expect(tok.toJSON().vocab).toEqual(["\n", "+", "1", "2", "7", "9", "="]);
    expect(tok.vocabSize).toBe(7);
    expect(tok.encode("71=")).toEqual([4, 2, 6]);
    expect(tok.decode(tok.encode("12+7=19\n"))).toBe("12+7=19\n");
  });

  it("handles characters outside the BMP as one token", () => {
    const tok = CharTokenizer.fromText("a😀b");
    expect(tok.vocabSize).toBe(3);
    expect(tok.encode("😀a")).toEqual([2, 0]);
    expect(tok.decode([2, 1])).toBe("😀b");
  });

  it("puts special tokens first and never produces them from text", () => {
    const tok = CharTokenizer.fromText("ab", { specialTokens: ["<pad>", "<eos>", "<unk>"], unkToken: "<unk>" });
    expect(tok.toJSON().vocab).toEqual(["<pad>", "<eos>", "<unk>", "a", "b"]);
    expect(tok.tokenToId("<eos>")).toBe(1);
    expect(tok.encode("abz")).toEqual([3, 4, 2]);
    expect(tok.decode([3, 1, 4])).toBe("a<eos>b");
    expect(tok.decode([3, 1, 4], { skipSpecialTokens: true })).toBe("ab");
  });

  it("serialises to JSON and back", () => {
    const tok = CharTokenizer.fromText("hello world", { specialTokens: ["<eos>"] });
    const again = CharTokenizer.fromJSON(JSON.stringify(tok));
    expect(again.toJSON()).toEqual(tok.toJSON());
    expect(again.encode("world")).toEqual(tok.encode("world"));
  });

  it("fails clearly on unknown characters and ids", () => {
    const tok = CharTokenizer.fromText("abc");
    expect(() => tok.encode("abx")).toThrow(TokenizerError);
    expect(() => tok.encode("abx")).toThrow(/character "x" \(U\+0078\) at index 2 is not in the vocabulary/);
    expect(() => tok.decode([0, 3])).toThrow(/id 3 at position 1 is out of range \[0, 3\)/);
    expect(() => CharTokenizer.fromJSON({ type: "bpe" } as never)).toThrow(/expected \{ type: "char"/);
    expect(() => new CharTokenizer(["a", "a"])).toThrow(/appears twice/);
  });
});
