/**
 * Composing a run from plugins in code, step by step: the built-in R1 rewards, a third-party reward plugin,
 * and an inline plugin that taps the trainer's hooks. Then the rewards score a batch of rollouts, and the
 * hooks fire as a trainer fires them around a step (the GRPO trainer does exactly this with its rollouts).
 *
 *   npx -y pnpm@12.4.2 exec tsx examples/compose-plugins.ts
 */
import { createRunContext, createTrainerControl, definePlugin, defineReward, rewardMetrics } from "@r1ts/core";
import type { RewardBatch } from "@r1ts/core";
import { r1Rewards } from "@r1ts/rewards";
import selfCheck from "r1ts-reward-self-check";

// 1. A reward of your own, defined inline: penalise completions that never close </answer>.
const closesAnswer = defineReward({
  name: "closes-answer",
  description: "-1 when <answer> is opened but never closed",
  score: (batch) => batch.completions.map((c) => (c.includes("<answer>") && !c.includes("</answer>") ? -1 : 0)),
});

// 2. An inline plugin: registers that reward and taps hooks, like logging or early stopping would.
const PLUGIN = "my-run-plugin";
const myPlugin = definePlugin({
  name: PLUGIN,
  version: "1.0.0",
  coreRange: "^0.1.0",
  setup(api) {
    api.registerReward(closesAnswer);
    api.hooks.afterRewards.tap(PLUGIN, ({ step, scores }) => {
      console.log(`step ${step}: totals ${JSON.stringify(scores.total)}`);
    });
    api.hooks.afterStep.tap(PLUGIN, ({ metrics, control }) => {
      if (metrics["reward/mean"] >= 1.5) control.requestStop(`mean reward ${metrics["reward/mean"].toFixed(2)} reached 1.5`);
    });
  },
});

export async function composeAndScore(log: (line: string) => void = console.log) {
  // 3. The composition root: one container per run; plugins in order, each with its options.
  const run = await createRunContext({
    plugins: [
      [r1Rewards, { only: ["accuracy", "format", "tagCount"] }],
      [selfCheck, { needed: 1 }],
      myPlugin,
    ],
  });
  log(`plugins: ${run.plugins.map((p) => `${p.name}@${p.version}`).join(", ")}`);
  log(`rewards: ${[...run.rewards.keys()].join(", ")}`);

  // 4. The rewards of this run with their weights (what a config's `rewards:` section says).
  const runner = run.createRewardRunner([
    "accuracy",
    { name: "format", weight: 0.5 },
    { name: "self-check", weight: 0.2 },
    "closes-answer",
  ]);

  // 5. One step's rollouts: a group of G = 3 completions for one prompt.
  const batch: RewardBatch = {
    prompts: ["What is 6 * 7?", "What is 6 * 7?", "What is 6 * 7?"],
    completions: [
      "<think>\n6 * 7 = 42. Let me check: 42 / 7 = 6.\n</think>\n<answer>\n42\n</answer>",
      "<think>\n6 * 7 = 48\n</think>\n<answer>\n48\n</answer>",
      "<think>\nsix sevens\n</think>\n<answer>\n42",
    ],
    columns: { answer: ["42", "42", "42"] },
  };

  // 6. Fire the hooks around scoring, as the trainer does.
  const control = createTrainerControl();
  const event = { step: 0, trainer: "grpo", control };
  await run.hooks.beforeStep.promise(event);
  await run.hooks.afterRollout.promise({ ...event, batch, groupSize: 3 });
  const scores = await runner.score(batch);
  await run.hooks.afterRewards.promise({ ...event, batch, scores });
  const metrics = rewardMetrics(scores);
  await run.hooks.afterStep.promise({ ...event, metrics });

  for (const name of scores.names) log(`${name.padEnd(14)} ${JSON.stringify(scores.perReward[name])}`);
  log(`total          ${JSON.stringify(scores.total)}`);
  log(`stop requested: ${control.stopRequested ? control.stopReason : "no"}`);
  return { scores, metrics, control };
}

if (import.meta.url === `file://${process.argv[1]}`) await composeAndScore();
