/**
 * The plugins and rewards sections of a run config (zod). The run config schema embeds these; `r1ts
 * rewards score` reads a config with just these two keys. Other keys of the config are left alone.
 */
import { z } from "zod";

/** `name`, `./path`, or `[name, options]` (Babel style). */
export const pluginSpecConfigSchema = z.union([
  z.string().min(1),
  z.tuple([z.string().min(1), z.record(z.string(), z.unknown())]),
], { error: "expected a plugin name or path, or [name, { options }]" });

const rewardUseObjectSchema = z.object({
  name: z.string().min(1),
  weight: z.number().finite().default(1),
  as: z.string().min(1).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  timeoutMs: z.number().positive().optional(),
  onError: z.enum(["fail", "zero"]).optional(),
}).strict();

/** One reward of the run: a registered reward's name, or `{ name, weight, as, options, timeoutMs, onError }`; parses to the object form. */
export const rewardUseConfigSchema = z.preprocess((v) => (typeof v === "string" ? { name: v } : v), rewardUseObjectSchema);

export type PluginSpecConfig = z.output<typeof pluginSpecConfigSchema>;
/** How a config lists a reward. */
export type RewardUseConfig = string | z.input<typeof rewardUseObjectSchema>;
export type ParsedRewardUse = z.output<typeof rewardUseObjectSchema>;

export const rewardsConfigSchema = z.object({
  plugins: z.array(pluginSpecConfigSchema).default([]),
  rewards: z.array(rewardUseConfigSchema).min(1, "list at least one reward"),
}).loose();

export type RewardsConfig = z.output<typeof rewardsConfigSchema>;
