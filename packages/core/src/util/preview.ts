/**
 * A short JSON-like text of any value, for error messages about input that users (or fuzzers) wrote:
 * unlike JSON.stringify it never throws (cycles, BigInt, deep nesting that would overflow the stack)
 * and never prints more than `maxChars`. Strings are JSON-quoted; undefined prints as `undefined`.
 */
export function previewValue(value: unknown, maxChars = 80): string {
  const parts: string[] = [];
  let length = 0;
  const seen = new Set<object>();
  const push = (text: string): boolean => {
    parts.push(text);
    length += text.length;
    return length <= maxChars;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || typeof v === "boolean" || typeof v === "number") return push(typeof v === "number" && !Number.isFinite(v) ? String(v) : JSON.stringify(v));
    if (v === undefined) return push("undefined");
    if (typeof v === "string") return push(JSON.stringify(v.length > maxChars ? v.slice(0, maxChars) : v));
    if (typeof v === "bigint") return push(`${v}n`);
    if (typeof v === "function") return push(`[function ${v.name || "anonymous"}]`);
    if (typeof v === "symbol") return push(v.toString());
    if (seen.has(v as object)) return push("[circular]");
    if (depth >= 8) return push(Array.isArray(v) ? "[...]" : "{...}");
    seen.add(v as object);
    try {
      if (Array.isArray(v)) {
        if (!push("[")) return false;
        for (let i = 0; i < v.length; i++) if ((i > 0 && !push(",")) || !walk(v[i], depth + 1)) return false;
        return push("]");
      }
      if (!push("{")) return false;
      let first = true;
      for (const key of Object.keys(v as object)) {
        if ((!first && !push(",")) || !push(`${JSON.stringify(key)}:`)) return false;
        first = false;
        let item: unknown;
        try {
          item = (v as Record<string, unknown>)[key];
        } catch {
          item = "[getter threw]";
        }
        if (!walk(item, depth + 1)) return false;
      }
      return push("}");
    } finally {
      seen.delete(v as object);
    }
  };
  walk(value, 0);
  const text = parts.join("");
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}...`;
}
