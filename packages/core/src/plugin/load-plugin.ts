/**
 * Loads a plugin by npm name or path. Package names are resolved from `baseDir` (the config file's folder)
 * with Node's ESM rules (package.json `exports`), so a plugin installed in the user's project is found
 * even though @r1ts/core lives elsewhere. Every failure says what was asked for and what to do.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve as resolveSpecifier } from "import-meta-resolve";
import { describeValue, pluginShapeProblem } from "./define-plugin.ts";
import type { Plugin } from "./define-plugin.ts";
import { PluginLoadError, PluginNotFoundError } from "./errors.ts";
import { isPathLike, pluginNameCandidates } from "./plugin-names.ts";

export interface LoadedModule {
  plugin: Plugin;
  /** The name or path as listed. */
  request: string;
  /** What it resolved to: the package name tried, and the file. */
  resolvedName: string;
  file: string;
}

export async function loadPluginByName(request: string, baseDir: string): Promise<LoadedModule> {
  const { resolvedName, url } = resolvePluginModule(request, baseDir);
  const file = url.startsWith("file:") ? fileURLToPath(url) : url;
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(`plugin "${request}" (${file}) failed to load: ${(error as Error)?.message ?? String(error)}`);
  }
  return { plugin: pickPlugin(request, file, module), request, resolvedName, file };
}

/** The module URL for a plugin request; throws PluginNotFoundError listing every name tried. */
export function resolvePluginModule(request: string, baseDir: string): { resolvedName: string; url: string } {
  if (typeof request !== "string" || request.trim() === "") throw new PluginNotFoundError(`plugin name must be a non-empty string, got ${JSON.stringify(request)}`, []);
  if (isPathLike(request)) {
    const target = request.startsWith("file:") ? fileURLToPath(request) : path.resolve(baseDir, request);
    const file = resolvePathTarget(target);
    if (file === undefined) {
      throw new PluginNotFoundError(`plugin "${request}" not found: no file or package folder at ${target} (relative paths are resolved from ${baseDir})`, [target]);
    }
    return { resolvedName: request, url: pathToFileURL(file).href };
  }
  const parent = pathToFileURL(path.join(baseDir, "__r1ts_plugin_parent__.js")).href;
  const tried = pluginNameCandidates(request);
  for (const candidate of tried) {
    try {
      return { resolvedName: candidate, url: resolveSpecifier(candidate, parent) };
    } catch (error) {
      if (isPackageMissing(error)) continue;
      throw new PluginLoadError(`plugin "${request}": package "${candidate}" was found but cannot be loaded: ${(error as Error).message}`);
    }
  }
  throw new PluginNotFoundError(
    `plugin "${request}" not found. Tried: ${tried.join(", ")} (resolved from ${baseDir}). Install it (npm install ${tried[0]}) or give a path.`,
    tried,
  );
}

function isPackageMissing(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === "ERR_MODULE_NOT_FOUND" && /Cannot find package/.test(e.message ?? "");
}

/** A file as is; a folder through its package.json (exports ".", module, main) or an index file. */
function resolvePathTarget(target: string): string | undefined {
  if (!existsSync(target)) return undefined;
  if (!statSync(target).isDirectory()) return target;
  const manifest = path.join(target, "package.json");
  if (existsSync(manifest)) {
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { exports?: unknown; module?: string; main?: string };
    const entry = exportEntry(pkg.exports) ?? pkg.module ?? pkg.main;
    if (entry !== undefined) return path.resolve(target, entry);
  }
  return ["index.js", "index.mjs", "index.ts"].map((f) => path.join(target, f)).find((f) => existsSync(f));
}

function exportEntry(exports: unknown): string | undefined {
  if (typeof exports === "string") return exports;
  if (exports === null || typeof exports !== "object") return undefined;
  const record = exports as Record<string, unknown>;
  if ("." in record) return exportEntry(record["."]);
  for (const condition of ["import", "node", "default"]) if (condition in record) return exportEntry(record[condition]);
  return undefined;
}

/** The default export (or a named `plugin` export) that is a plugin; otherwise says what was found. */
function pickPlugin(request: string, file: string, module: Record<string, unknown>): Plugin {
  const candidates = [module.default, module.plugin, (module.default as Record<string, unknown> | undefined)?.default];
  const plugin = candidates.find((c) => c !== undefined && pluginShapeProblem(c) === undefined);
  if (plugin !== undefined) return plugin as Plugin;
  const found = module.default !== undefined ? module.default : module.plugin;
  const what = found === undefined
    ? `it has no default export (exports: ${JSON.stringify(Object.keys(module))})`
    : `its default export is ${describeValue(found)}${typeof found === "object" && found !== null ? ` (${pluginShapeProblem(found)})` : ""}`;
  const hint = typeof found === "function" ? "; export the plugin object itself (export default definePlugin({...})), not a function" : "";
  throw new PluginLoadError(`plugin "${request}" (${file}) does not export a plugin: ${what}${hint}. Make its default export definePlugin({ name, version, coreRange, setup }).`);
}
