/**
 * r1ts-reward-self-check: a third-party reward plugin. Its options are the reward's defaults; a run lists
 * it by its short name (`self-check`), which r1ts resolves to this package's npm name.
 */
import { configureReward, definePlugin } from "@r1ts/core";
import { selfCheckOptions, selfCheckReward } from "./self-check.ts";

export { DEFAULT_PHRASES, selfCheckOptions, selfCheckReward, selfCheckScore } from "./self-check.ts";

export default definePlugin({
  name: "r1ts-reward-self-check",
  version: "1.0.0",
  coreRange: "^0.1.0",
  description: "rewards chains of thought that check their own answer",
  options: selfCheckOptions,
  setup(api, options) {
    api.registerReward(configureReward(selfCheckReward, options));
  },
});
