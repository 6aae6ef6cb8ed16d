/**
 * A plugin is a plain object made by `definePlugin`: a name, its version, the range of @r1ts/core it
 * works with, an optional zod schema for its options, and `setup(api, options)`, which registers rewards,
 * stages, backends and tokenizers and taps the trainer's hooks. No decorators, no classes.
 */
import semver from "semver";
import type { z } from "zod";
import type { PluginApi } from "./plugin-api.ts";
import { PluginSetupError } from "./errors.ts";
import { previewValue } from "../util/preview.ts";

export type PluginOptionsOf<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export interface PluginDefinition<S extends z.ZodType | undefined = undefined> {
  /** Its npm name, usually (`r1ts-reward-foo`, `@scope/r1ts-plugin-bar`). */
  name: string;
  /** Its own version (semver). */
  version: string;
  /** The @r1ts/core versions it works with, as a semver range (e.g. "^0.1.0"). */
  coreRange: string;
  description?: string;
  /** A zod schema for its options; its output (defaults filled in) is what setup receives. */
  options?: S;
  setup(api: PluginApi, options: PluginOptionsOf<S>): void | Promise<void>;
}

export interface Plugin<O = any> {
  readonly name: string;
  readonly version: string;
  readonly coreRange: string;
  readonly description: string;
  readonly options: z.ZodType<O> | undefined;
  setup(api: PluginApi, options: O): void | Promise<void>;
}

/** Checks the definition (name, semver version, semver range, setup) and returns it frozen. */
export function definePlugin<S extends z.ZodType | undefined = undefined>(definition: PluginDefinition<S>): Plugin<PluginOptionsOf<S>> {
  const problem = pluginShapeProblem(definition);
  if (problem) throw new PluginSetupError(`definePlugin(${JSON.stringify((definition as { name?: unknown })?.name ?? null)}): ${problem}`);
  return Object.freeze({
    name: definition.name,
    version: definition.version,
    coreRange: definition.coreRange,
    description: definition.description ?? "",
    options: definition.options as z.ZodType<PluginOptionsOf<S>> | undefined,
    setup: definition.setup as Plugin<PluginOptionsOf<S>>["setup"],
  });
}

/** Why `value` is not a plugin, or undefined when it is one (also plugins made by another copy of core). */
export function pluginShapeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return `expected an object made by definePlugin, got ${describeValue(value)}`;
  const p = value as Record<string, unknown>;
  if (typeof p.name !== "string" || p.name.trim() === "") return "name must be a non-empty string";
  if (typeof p.version !== "string" || semver.valid(p.version) === null) return `version must be a semver version, got ${JSON.stringify(p.version)}`;
  if (typeof p.coreRange !== "string" || semver.validRange(p.coreRange) === null) return `coreRange must be a semver range such as "^0.1.0", got ${JSON.stringify(p.coreRange)}`;
  if (typeof p.setup !== "function") return "setup must be a function (api, options) => void";
  if (p.options !== undefined && typeof (p.options as { safeParse?: unknown })?.safeParse !== "function") return "options must be a zod schema";
  return undefined;
}

export function isPlugin(value: unknown): value is Plugin {
  return pluginShapeProblem(value) === undefined;
}

export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return `a function (${value.name || "anonymous"})`;
  if (typeof value === "object") return `an object with keys ${JSON.stringify(Object.keys(value as object).slice(0, 8))}`;
  return `${typeof value} ${previewValue(value)}`;
}
