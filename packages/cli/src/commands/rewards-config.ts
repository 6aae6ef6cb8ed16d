/** Reads the plugins and rewards of a run config (JSON or YAML) for the `rewards` commands. */
import { readFile } from "node:fs/promises";
import { describeIssues, rewardsConfigSchema } from "@r1ts/core";
import type { RewardsConfig } from "@r1ts/core";
import { parse as parseYaml } from "yaml";
import { UsageError } from "../command.ts";

export async function readRewardsConfig(file: string): Promise<RewardsConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read config ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(`config ${file} is not valid ${/\.json$/i.test(file) ? "JSON" : "YAML"}: ${(error as Error).message}`);
  }
  const parsed = rewardsConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new UsageError(`config ${file} is invalid:\n${describeIssues(parsed.error)}`);
  return parsed.data;
}
