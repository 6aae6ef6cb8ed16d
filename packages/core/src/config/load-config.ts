/**
 * The one config loader: reads a YAML or JSON file, tells a pipeline (a `stages:` list) from a single
 * run, and validates it with its schema before any work starts. A bad config fails with a ConfigError
 * listing each problem as `<field path>: expected ..., got <given value>`.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { R1tsError } from "../errors.ts";
import { type PipelineConfig, pipelineConfigSchema } from "../pipeline/pipeline-config-schema.ts";
import { type RunConfig, runConfigSchema } from "./run-config-schema.ts";
import { previewValue } from "../util/preview.ts";

export class ConfigError extends R1tsError {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`config ${source} is invalid:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

/** Validates `raw` with `schema` and fills defaults; `source` names it in errors. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, source = "(object)"): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(source, describeConfigIssues(parsed.error, raw));
  return parsed.data;
}

export const parseRunConfig = (raw: unknown, source?: string): RunConfig => parseConfig(runConfigSchema, raw, source);
export const parsePipelineConfig = (raw: unknown, source?: string): PipelineConfig => parseConfig(pipelineConfigSchema, raw, source);

/** The parsed contents of a .yaml / .yml / .json file (not yet validated). */
export async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file (${(error as Error).message})`]);
  }
  const json = /\.json$/i.test(file);
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(file, [`not valid ${json ? "JSON" : "YAML"}: ${(error as Error).message.split("\n")[0]}`]);
  }
}

/** A config object with a `stages:` list is a pipeline; anything else is a single run. */
export function isPipelineConfig(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && "stages" in raw;
}

export type LoadedConfig = { kind: "run"; config: RunConfig } | { kind: "pipeline"; config: PipelineConfig };

/** Reads and validates a run or pipeline config file. */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  const raw = await readConfigFile(file);
  return isPipelineConfig(raw) ? { kind: "pipeline", config: parsePipelineConfig(raw, file) } : { kind: "run", config: parseRunConfig(raw, file) };
}

export async function loadRunConfig(file: string): Promise<RunConfig> {
  return parseRunConfig(await readConfigFile(file), file);
}

export async function loadPipelineConfig(file: string): Promise<PipelineConfig> {
  return parsePipelineConfig(await readConfigFile(file), file);
}

/** One line per issue: the dotted field path, what was expected, and the value given there. */
export function describeConfigIssues(error: z.ZodError, raw: unknown): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".") || "(top level)";
    let message = issue.message.replace(/^Invalid (input|option): /, "").replace(/^Invalid discriminator value\. Expected /, "expected one of ");
    if (issue.code === "unrecognized_keys") {
      return `${path === "(top level)" ? "" : `${path}: `}unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    }
    if (issue.code !== "custom") {
      const given = valueAt(raw, issue.path);
      message = message.replace(/, received .*$/, "");
      message = message.replace(/^Too (small|big): expected /, "expected ");
      if (!/^expected/.test(message)) message = `expected ${message}`;
      message += `, got ${given === undefined ? "nothing" : previewValue(given, 120)}`;
    }
    return `${path}: ${message}`;
  });
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** The folder relative paths of a config file are resolved from. */
export const configBaseDir = (file: string | undefined): string => (file ? dirname(resolve(file)) : process.cwd());
