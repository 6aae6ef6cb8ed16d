/**
 * Every built-in reward as a plugin. A reward plugin's options are that reward's default options
 * (validated by the reward's schema); a run's `rewards:` entry can still override them per use.
 * `r1Rewards` (the package's default export, name "@r1ts/rewards") registers all of them, taking an
 * object of per-reward defaults keyed by reward name.
 */
import { configureReward, definePlugin, z } from "@r1ts/core";
import type { Plugin, Reward } from "@r1ts/core";
import { accuracyOptions, accuracyReward } from "./rewards/accuracy.ts";
import { codeOptions, codeReward } from "./rewards/code.ts";
import { cosineOptions, cosineReward } from "./rewards/cosine.ts";
import { countdownOptions, countdownReward } from "./rewards/countdown.ts";
import { formatOptions, formatReward } from "./rewards/format.ts";
import { languageConsistencyOptions, languageConsistencyReward } from "./rewards/language-consistency.ts";
import { lengthOptions, lengthReward } from "./rewards/length.ts";
import { reasoningStepsOptions, reasoningStepsReward } from "./rewards/reasoning-steps.ts";
import { repetitionOptions, repetitionReward } from "./rewards/repetition.ts";
import { softOverlongOptions, softOverlongReward } from "./rewards/soft-overlong.ts";
import { tagCountReward } from "./rewards/tag-count.ts";

export const REWARDS_VERSION = "0.1.0";
const CORE_RANGE = "^0.1.0";

/** Every built-in reward with its options schema, by reward name. */
export const builtinRewards = {
  accuracy: { reward: accuracyReward, options: accuracyOptions },
  format: { reward: formatReward, options: formatOptions },
  tagCount: { reward: tagCountReward, options: z.object({}).strict() },
  reasoningSteps: { reward: reasoningStepsReward, options: reasoningStepsOptions },
  length: { reward: lengthReward, options: lengthOptions },
  cosine: { reward: cosineReward, options: cosineOptions },
  repetition: { reward: repetitionReward, options: repetitionOptions },
  softOverlong: { reward: softOverlongReward, options: softOverlongOptions },
  countdown: { reward: countdownReward, options: countdownOptions },
  languageConsistency: { reward: languageConsistencyReward, options: languageConsistencyOptions },
  code: { reward: codeReward, options: codeOptions },
} as const satisfies Record<string, { reward: Reward<any>; options: z.ZodType }>;

export type BuiltinRewardName = keyof typeof builtinRewards;

/** A plugin registering one reward; its options become that reward's defaults. */
function rewardPlugin(name: BuiltinRewardName): Plugin {
  const reward: Reward<any> = builtinRewards[name].reward;
  return definePlugin({
    name: `@r1ts/rewards/${name}`,
    version: REWARDS_VERSION,
    coreRange: CORE_RANGE,
    description: reward.description,
    options: z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
      const parsed = reward.options.safeParse(value);
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom", message: issue.message, path: issue.path });
    }),
    setup(api, options) {
      api.registerReward(configureReward(reward, options));
    },
  });
}

export const accuracyPlugin = rewardPlugin("accuracy");
export const formatPlugin = rewardPlugin("format");
export const tagCountPlugin = rewardPlugin("tagCount");
export const reasoningStepsPlugin = rewardPlugin("reasoningSteps");
export const lengthPlugin = rewardPlugin("length");
export const cosinePlugin = rewardPlugin("cosine");
export const repetitionPlugin = rewardPlugin("repetition");
export const softOverlongPlugin = rewardPlugin("softOverlong");
export const countdownPlugin = rewardPlugin("countdown");
export const languageConsistencyPlugin = rewardPlugin("languageConsistency");
export const codePlugin = rewardPlugin("code");

const names = Object.keys(builtinRewards) as BuiltinRewardName[];

/** Options of r1Rewards: per-reward defaults by name, and optionally which rewards to register. */
export const r1RewardsOptions = z.object({
  only: z.array(z.enum(names as [BuiltinRewardName, ...BuiltinRewardName[]])).optional(),
  ...Object.fromEntries(names.map((n) => [n, z.record(z.string(), z.unknown()).optional()])),
}).strict();

/** Registers every built-in reward (or those in `only`), each with the defaults given under its name. */
export const r1Rewards = definePlugin({
  name: "@r1ts/rewards",
  version: REWARDS_VERSION,
  coreRange: CORE_RANGE,
  description: "every reward of DeepSeek-R1 reproductions",
  options: r1RewardsOptions,
  setup(api, options) {
    const record = options as Record<string, unknown>;
    for (const name of (options.only as BuiltinRewardName[] | undefined) ?? names) {
      const defaults = (record[name] as Record<string, unknown> | undefined) ?? {};
      api.registerReward(configureReward(builtinRewards[name].reward as Reward<any>, defaults));
    }
  },
});
