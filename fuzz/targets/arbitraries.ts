/** Generators and previews the targets share: byte mutations, awkward JSON values, hex and text previews. */
import fc from "fast-check";

/**
 * A placeholder for a value nested 100,000 deep (JSON.parse takes it; a recursive walk or JSON.stringify
 * of it overflows the stack). Writers put the text in with `expandDeep` after serialising.
 */
export const DEEP = "__R1TS_DEEP__";
const DEPTH = 100_000;

/** Replaces each DEEP placeholder in JSON (quoted) or YAML (bare) text with a deeply nested array. */
export function expandDeep(text: string): string {
  if (!text.includes(DEEP)) return text;
  const nested = "[".repeat(DEPTH) + "]".repeat(DEPTH);
  return text.replaceAll(`"${DEEP}"`, nested).replaceAll(DEEP, nested);
}

/** Values that break naive checks: negative, fractional, huge, non-finite-in-JS, wrong types. */
export const awkwardNumber = fc.oneof(
  fc.integer({ min: -3, max: 70 }),
  fc.constantFrom(-1, 0, 0.5, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, with awkward numbers and strings weighted in. */
export const awkwardJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: awkwardNumber },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, "", "__proto__", "constructor", "NaN", "1e400", DEEP) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** One edit of a byte string: cut it short, flip a byte, splice random bytes in, or drop a range. */
type Mutation = { kind: "truncate" | "flip" | "insert" | "delete"; at: number; bytes: Uint8Array; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("truncate", "flip", "insert", "delete"),
  at: fc.nat(),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  length: fc.integer({ min: 1, max: 16 }),
});

export function applyMutations(source: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = source;
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    if (m.kind === "truncate") bytes = bytes.slice(0, at);
    else if (m.kind === "flip" && bytes.length > 0) {
      bytes = bytes.slice();
      bytes[at % bytes.length] ^= m.bytes[0] | 1;
    } else if (m.kind === "insert") bytes = concat(bytes.slice(0, at), m.bytes, bytes.slice(at));
    else if (m.kind === "delete") bytes = concat(bytes.slice(0, at), bytes.slice(at + m.length));
  }
  return bytes;
}

/** Up to `max` mutations of the bytes `base` makes. */
export function mutated(base: fc.Arbitrary<Uint8Array>, max = 3): fc.Arbitrary<Uint8Array> {
  return fc.tuple(base, fc.array(mutation, { maxLength: max })).map(([bytes, ms]) => applyMutations(bytes, ms));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function hex(bytes: Uint8Array, maxChars: number): string {
  const n = Math.min(bytes.length, Math.floor(maxChars / 2));
  return Buffer.from(bytes.subarray(0, n)).toString("hex") + (n < bytes.length ? `... (${bytes.length} bytes)` : "");
}

export function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}... (${text.length} chars)`;
}

/** Sets `value` at a path of keys inside a JSON-like object (creating objects on the way); returns a copy. */
export function setPath(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  // An array keeps its shape for an index; any other key (such as "length") turns it into an object.
  const base = typeof root === "object" && root !== null ? (Array.isArray(root) && /^\d+$/.test(head) ? [...root] : { ...(root as object) }) : {};
  Object.defineProperty(base, head, { value: setPath((base as Record<string, unknown>)[head], rest, value), enumerable: true, writable: true, configurable: true });
  return base;
}

/** Deletes the key at `path` (if there); returns a copy. */
export function deletePath(root: unknown, path: readonly string[]): unknown {
  if (path.length === 0 || typeof root !== "object" || root === null) return root;
  const base = Array.isArray(root) ? [...root] : { ...(root as Record<string, unknown>) };
  const [head, ...rest] = path;
  if (rest.length === 0) delete (base as Record<string, unknown>)[head];
  else (base as Record<string, unknown>)[head] = deletePath((base as Record<string, unknown>)[head], rest);
  return base;
}

/** Every path of keys in a JSON-like value (objects and arrays), the root excluded. */
export function pathsOf(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) {
      const p = [...prefix, key];
      out.push(p);
      pathsOf((value as Record<string, unknown>)[key], p, out);
    }
  }
  return out;
}

/** Edits of a JSON document: set a path to an awkward value, delete a path, or add an unknown key. */
export type JsonEdit = { kind: "set" | "delete" | "add"; pick: number; value: unknown; key: string };

export const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  kind: fc.constantFrom("set", "set", "delete", "add"),
  pick: fc.nat(),
  value: awkwardJson,
  key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "toString")),
});

export function applyJsonEdits(doc: unknown, edits: readonly JsonEdit[]): unknown {
  let out = doc;
  for (const edit of edits) {
    const paths = pathsOf(out);
    if (paths.length === 0) return edit.value;
    const path = paths[edit.pick % paths.length];
    if (edit.kind === "set") out = setPath(out, path, edit.value);
    else if (edit.kind === "delete") out = deletePath(out, path);
    else out = setPath(out, [...path.slice(0, -1), edit.key], edit.value);
  }
  return out;
}

/** A JSON document with up to `max` random edits. */
export function editedJson(base: fc.Arbitrary<unknown>, max = 3): fc.Arbitrary<unknown> {
  return fc.tuple(base, fc.array(jsonEdit, { minLength: 1, maxLength: max })).map(([doc, edits]) => applyJsonEdits(doc, edits));
}
