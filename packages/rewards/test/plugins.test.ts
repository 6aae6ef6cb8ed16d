import { describe, expect, it } from "vitest";
import path from "node:path";
import { createRunContext, PluginOptionsError, PluginSetupError } from "@r1ts/core";
import type { RewardBatch } from "@r1ts/core";
import r1RewardsDefault, { builtinRewards, cosinePlugin, formatPlugin, r1Rewards } from "../src/index.ts";

const ALL = ["accuracy", "format", "tagCount", "reasoningSteps", "length", "cosine", "repetition", "softOverlong", "countdown", "languageConsistency", "code"];

describe("@r1ts/rewards plugins", () => {
  it("the default export registers every built-in reward", async () => {
    expect(r1RewardsDefault).toBe(r1Rewards);
    const ctx = await createRunContext({ plugins: [r1Rewards] });
    expect([...ctx.rewards.keys()]).toEqual(ALL);
    expect(Object.keys(builtinRewards)).toEqual(ALL);
    for (const reward of ctx.rewards.values()) expect(reward.description.length).toBeGreaterThan(10);
  });

  it("loads by its package name and takes per-reward defaults and `only`", async () => {
    const ctx = await createRunContext({
      plugins: [["@r1ts/rewards", { only: ["accuracy", "cosine"], cosine: { maxLength: 10 } }]],
      baseDir: path.resolve(import.meta.dirname, ".."),
    });
    expect([...ctx.rewards.keys()]).toEqual(["accuracy", "cosine"]);
    const batch: RewardBatch = { prompts: [""], completions: ["<answer>4</answer>"], completionIds: [[1, 2, 3, 4, 5]], columns: { answer: ["4"] } };
    // len 5 of maxLength 10: 0.5 + 0.25 * (1 + cos(pi/2)) = 0.75
    expect((await ctx.createRewardRunner(["cosine"]).score(batch)).perReward.cosine[0]).toBeCloseTo(0.75, 12);
    // A use's options override the plugin's defaults.
    expect((await ctx.createRewardRunner([{ name: "cosine", options: { maxLength: 5 } }]).score(batch)).perReward.cosine).toEqual([0.5]);
  });

  it("a single-reward plugin validates its options with the reward's schema", async () => {
    const error = await createRunContext({ plugins: [[cosinePlugin, { maxLength: "long" }]] }).catch((e) => e);
    expect(error).toBeInstanceOf(PluginOptionsError);
    expect(error.message).toMatch(/plugin "@r1ts\/rewards\/cosine" \(\(code\)\): invalid options\n  options.maxLength: .*expected number/);
    const ctx = await createRunContext({ plugins: [[formatPlugin, { thinkPrefilled: true }]] });
    expect([...ctx.rewards.keys()]).toEqual(["format"]);
    expect((await ctx.createRewardRunner(["format"]).score({ prompts: [""], completions: ["x\n</think>\n<answer>\n1\n</answer>"], columns: {} })).total).toEqual([1]);
  });

  it("bad per-reward defaults of the aggregate plugin fail naming the reward and field", async () => {
    await expect(createRunContext({ plugins: [[r1Rewards, { cosine: { maxLength: -1 } }]] }))
      .rejects.toThrow(/plugin "@r1ts\/rewards" \(\(code\)\) failed in setup: reward "cosine": invalid options\n  options.maxLength/);
    await expect(createRunContext({ plugins: [[r1Rewards, { only: ["nope"] }]] })).rejects.toThrow(PluginOptionsError);
    await expect(createRunContext({ plugins: [r1Rewards, cosinePlugin] })).rejects.toThrow(PluginSetupError);
  });
});

describe("built-in rewards in worker threads", () => {
  it("every built-in reward has its module, runs in a worker, and scores as on the main thread", async () => {
    const { builtinRewards } = await import("../src/plugins.ts");
    const { createRewardRunner } = await import("@r1ts/core");
    const uses = Object.values(builtinRewards).filter(({ reward }) => reward.name !== "code").map(({ reward }) => ({ reward }));
    const batch = {
      prompts: ["What is 2+2?", "Use 3, 5 to make 8"],
      completions: ["<think>\nStep 1: 2+2=4\n</think>\n<answer>\n\\boxed{4}\n</answer>", "<answer>3+5</answer> the the the"],
      columns: { answer: ["4", "8"], target: [4, 8], nums: [[2, 2], [3, 5]] },
    };
    const inWorkers = createRewardRunner(uses, { warn: () => {} });
    expect(inWorkers.uses.every((u) => u.runsIn === "worker")).toBe(true);
    const onMain = createRewardRunner(uses, { isolation: "main", warn: () => {} });
    const [a, b] = [await inWorkers.score(batch), await onMain.score(batch)];
    expect(a.perReward).toEqual(b.perReward);
    expect(a.warnings).toEqual([]);
    expect(inWorkers.uses.every((u) => u.runsIn === "worker")).toBe(true);
  }, 60_000);
});
