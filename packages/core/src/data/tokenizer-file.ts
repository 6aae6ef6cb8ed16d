/** Reading a Hugging Face `tokenizer.json` file into a BpeTokenizer; every failure names the file. */
import { readJsonFile } from "../util/read-json-file.ts";
import { BpeTokenizer } from "./bpe-tokenizer.ts";
import { TokenizerError } from "./char-tokenizer.ts";

export async function loadBpeTokenizer(file: string): Promise<BpeTokenizer> {
  const json = await readJsonFile(file, (problem, cause) => new TokenizerError(`${file}: ${problem}`, { cause }));
  return BpeTokenizer.fromJSON(json, file);
}
