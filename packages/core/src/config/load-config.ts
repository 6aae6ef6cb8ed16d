/**
 * Loading and validating run configs from YAML, JSON or objects. A bad config fails before any work
 * starts with a ConfigError listing each problem as `<field path>: expected ..., got <given value>`.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { R1tsError } from "../errors.ts";
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

/** Validates `raw` (an object) and fills defaults; `source` names it in errors. */
export function parseRunConfig(raw: unknown, source = "(object)"): RunConfig {
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(source, describeConfigIssues(parsed.error, raw));
  return parsed.data;
}

/** Reads a .yaml / .yml / .json config file and validates it. */
export async function loadRunConfig(file: string): Promise<RunConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file (${(error as Error).message})`]);
  }
  const json = /\.json$/i.test(file);
  let raw: unknown;
  try {
    raw = json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(file, [`not valid ${json ? "JSON" : "YAML"}: ${(error as Error).message.split("\n")[0]}`]);
  }
  return parseRunConfig(raw, file);
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
