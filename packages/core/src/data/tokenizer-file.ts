/** Reading a Hugging Face `tokenizer.json` file into a BpeTokenizer; every failure names the file. */
import { readFile } from "node:fs/promises";
import { BpeTokenizer } from "./bpe-tokenizer.ts";
import { TokenizerError } from "./char-tokenizer.ts";

export async function loadBpeTokenizer(file: string): Promise<BpeTokenizer> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TokenizerError(`${file}: cannot read it (${(error as Error).message})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TokenizerError(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return BpeTokenizer.fromJSON(json, file);
}
