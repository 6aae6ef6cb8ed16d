/** Reads and parses a JSON file; `fail(problem, cause)` makes the typed error (it names the file). */
import { readFile } from "node:fs/promises";

export async function readJsonFile(file: string, fail: (problem: string, cause: unknown) => Error): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw fail(`cannot read it (${(error as Error).message})`, error);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail(`not valid JSON (${(error as Error).message})`, error);
  }
}
