/**
 * Fingerprints: sha256 of a canonical JSON form (object keys sorted) or of file contents. A stage's
 * fingerprint covers its resolved options and the fingerprints of its inputs, so a re-run can tell
 * whether a completed stage would do the same work again.
 */
import { createHash } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** JSON with object keys sorted at every level; undefined fields dropped, non-finite numbers as strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

export function hashJson(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/**
 * sha256 over a file, or over a directory's files (relative names sorted, each name then its bytes);
 * hidden files and the leftovers of atomic writes (`.tmp-`, `.old-`) are left out.
 */
export async function hashPath(path: string): Promise<string> {
  const hash = createHash("sha256");
  const info = await stat(path);
  if (!info.isDirectory()) {
    hash.update(await readFile(path));
    return hash.digest("hex");
  }
  for (const name of await listFiles(path)) {
    hash.update(`${name}\0`);
    hash.update(await readFile(join(path, name)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith(".") || /\.(tmp|old)-/.test(entry.name)) continue;
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}
