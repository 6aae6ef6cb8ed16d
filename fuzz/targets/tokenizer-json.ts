/**
 * tokenizer.json files (loadBpeTokenizer): a real BPE tokenizer's JSON (trained here on arithmetic
 * text) with fields set to awkward values, deleted or added; its text corrupted; random JSON. A loaded
 * tokenizer must also encode and decode a string of its own single-character tokens.
 */
import { writeFile } from "node:fs/promises";
import fc from "fast-check";
import { loadBpeTokenizer, trainBpe } from "@r1ts/core";
import { awkwardJson, clip, editedJson, expandDeep, mutated } from "./arbitraries.ts";
import { defineTarget } from "../harness/target.ts";

const trained = trainBpe(["12+34=46 <think>carry</think>", "7*8=56 <answer>56</answer>", "99-9=90"], { vocabSize: 60, specialTokens: ["<eos>"] }).toJSON();
const text = (value: unknown) => new TextEncoder().encode(expandDeep(JSON.stringify(value)));

export const tokenizerJsonTarget = defineTarget<Uint8Array>({
  name: "tokenizer-json",
  description: "loadBpeTokenizer: a trained BPE tokenizer.json with edited fields, corrupted text, random JSON",
  arbitrary: fc.oneof(
    { weight: 6, arbitrary: editedJson(fc.constant<unknown>(trained), 3).map(text) },
    { weight: 2, arbitrary: mutated(fc.constant(text(trained)), 3) },
    { weight: 1, arbitrary: awkwardJson.map(text) },
  ),
  async write(bytes, files) {
    const file = files.path("tokenizer.json");
    await writeFile(file, bytes);
    return file;
  },
  async read(file) {
    const tokenizer = await loadBpeTokenizer(file);
    // Every single-character token is in the vocab, so a string of them must encode.
    const sample = tokenizer.vocab.filter((t) => [...t].length === 1).slice(0, 8).join("");
    return tokenizer.decode(tokenizer.encode(sample));
  },
  preview: (bytes, max) => clip(Buffer.from(bytes).toString("utf8"), max),
});
