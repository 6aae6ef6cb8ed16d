/**
 * Short plugin names, resolved like Babel/ESLint/Docusaurus: `foo` tries `r1ts-reward-foo`, then
 * `r1ts-plugin-foo`, then `foo`; `@scope/foo` tries `@scope/r1ts-reward-foo`, `@scope/r1ts-plugin-foo`,
 * `@scope/foo`; `@scope` alone tries `@scope/r1ts-reward` and `@scope/r1ts-plugin`. Names that already
 * carry a prefix, subpaths (`pkg/sub`) and paths are used as given. The prefixed names come first so a
 * short name never picks an unrelated package that happens to share it.
 */
export const PLUGIN_PREFIXES = ["r1ts-reward-", "r1ts-plugin-"] as const;

/** A relative or absolute path (or file: URL) rather than a package name. */
export function isPathLike(name: string): boolean {
  return name.startsWith("./") || name.startsWith("../") || name.startsWith("/") || name.startsWith("file:") ||
    name === "." || name === ".." || /^[A-Za-z]:[\\/]/.test(name) || name.startsWith(".\\") || name.startsWith("..\\");
}

export function pluginNameCandidates(name: string): string[] {
  if (isPathLike(name)) return [name];
  const prefixed = (base: string) => PLUGIN_PREFIXES.some((p) => base.startsWith(p)) || base.startsWith("r1ts-");
  if (name.startsWith("@")) {
    const [scope, base, ...rest] = name.split("/");
    if (base === undefined || base === "") return PLUGIN_PREFIXES.map((p) => `${scope}/${p.slice(0, -1)}`);
    if (rest.length > 0 || prefixed(base)) return [name];
    return [...PLUGIN_PREFIXES.map((p) => `${scope}/${p}${base}`), name];
  }
  if (name.includes("/") || prefixed(name)) return [name];
  return [...PLUGIN_PREFIXES.map((p) => `${p}${name}`), name];
}
