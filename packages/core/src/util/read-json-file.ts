/** Reads and parses a JSON file; `fail(problem, cause)` makes the typed error (it names the file). */
import { readFile } from "node:fs/promises";

export interface ReadJsonFileOptions {
  /** Return undefined for a file that does not exist (default: fail). */
  optional?: boolean;
  /** Fail unless the file holds a JSON object. */
  object?: boolean;
}

export async function readJsonFile(file: string, fail: (problem: string, cause: unknown) => Error, options: ReadJsonFileOptions = {}): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (options.optional && (error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fail(`cannot read it (${(error as Error).message})`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`not valid JSON (${(error as Error).message})`, error);
  }
  if (options.object && (typeof json !== "object" || json === null || Array.isArray(json))) throw fail("must hold a JSON object", undefined);
  return json;
}
