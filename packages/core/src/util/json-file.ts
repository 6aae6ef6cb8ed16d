/** Small file helpers shared by the folder readers: existence, and JSON files whose errors name the file. */
import { readFile, stat } from "node:fs/promises";

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The parsed JSON of `path`; undefined when it is absent and not `required`. Problems go through
 * `fail(problem)` (which throws the caller's error type, naming the file): "is missing", "cannot be read
 * (...)", "is not valid JSON (...)", and with `object`, "must hold a JSON object".
 */
export async function readJsonFile(path: string, fail: (problem: string) => never, { required = true, object = false, missing = "is missing" } = {}): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      if (!required) return undefined;
      return fail(missing);
    }
    return fail(`cannot be read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`is not valid JSON (${(error as Error).message})`);
  }
  if (object && (typeof json !== "object" || json === null || Array.isArray(json))) return fail("must hold a JSON object");
  return json;
}
