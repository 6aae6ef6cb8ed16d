/** Reading pipeline configs (YAML or JSON) and telling them apart from single-run configs. */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { ConfigError, describeConfigIssues } from "../config/load-config.ts";
import { type PipelineConfig, pipelineConfigSchema } from "./pipeline-config-schema.ts";

/** A config object with a `stages:` list is a pipeline; anything else is a single run. */
export function isPipelineConfig(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && "stages" in raw;
}

/** Validates `raw` and fills defaults; a bad config fails with every problem as `<path>: expected ..., got ...`. */
export function parsePipelineConfig(raw: unknown, source = "(object)"): PipelineConfig {
  const parsed = pipelineConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(source, describeConfigIssues(parsed.error, raw));
  return parsed.data;
}

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

export async function loadPipelineConfig(file: string): Promise<PipelineConfig> {
  return parsePipelineConfig(await readConfigFile(file), file);
}

/** Whether a config file holds a pipeline (a `stages:` list); unreadable files answer false. */
export async function isPipelineConfigFile(file: string): Promise<boolean> {
  try {
    return isPipelineConfig(await readConfigFile(file));
  } catch {
    return false;
  }
}
