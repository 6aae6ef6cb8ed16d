/** Reads the plugins and rewards of a run config (JSON or YAML) for the `rewards` commands, with the one config reader. */
import { describeIssues, readConfigFile, rewardsConfigSchema } from "@r1ts/core";
import type { RewardsConfig } from "@r1ts/core";
import { UsageError } from "../command.ts";

export async function readRewardsConfig(file: string): Promise<RewardsConfig> {
  const raw = await readConfigFile(file);
  const parsed = rewardsConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new UsageError(`config ${file} is invalid:\n${describeIssues(parsed.error)}`);
  return parsed.data;
}
