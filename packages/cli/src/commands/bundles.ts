/** Model bundles by the name a config or flag gives: `builtin:<name>` (shipped with the CLI) or a path. */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../command.ts";

/** Models shipped with the CLI, by the name a config uses after "builtin:". */
export const ASSETS_DIR = fileURLToPath(new URL("../../assets/", import.meta.url));

export function resolveBundle(spec: string, baseDir = process.cwd()): string {
  if (spec.startsWith("builtin:")) {
    const dir = path.join(ASSETS_DIR, spec.slice("builtin:".length));
    if (!existsSync(path.join(dir, "config.json"))) throw new UsageError(`unknown built-in model "${spec}" (no ${dir}/config.json)`);
    return dir;
  }
  return path.resolve(baseDir, spec);
}
