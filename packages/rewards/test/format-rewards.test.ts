import { describe, expect, it } from "vitest";
import { createRewardRunner } from "@r1ts/core";
import type { Reward } from "@r1ts/core";
import { countStepMarkers, formatReward, formatScore, reasoningStepsReward, tagCountReward, tagCountScore } from "../src/index.ts";

async function score(reward: Reward<any>, completions: string[], options: Record<string, unknown> = {}) {
  const runner = createRewardRunner([{ reward, options }]);
  return (await runner.score({ prompts: completions.map(() => ""), completions, columns: {} })).perReward[reward.name];
}

const good = "<think>\nreason\nmore\n</think>\n<answer>\n4\n</answer>";

describe("format", () => {
  it("matches the whole completion against ^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$", async () => {
    expect(await score(formatReward, [
      good,
      "",
      "<think>\nreason\n</think>\n<answer>4</answer>", // answer without its newlines
      "<answer>\n4\n</answer>", // missing think
      `${good}\n`, // trailing text: not the whole completion
      `preamble ${good}`,
      "<think>\n\n</think>\n<answer>\n\n</answer>", // .*? may be empty
    ])).toEqual([1, 0, 0, 0, 0, 0, 1]);
  });

  it("thinkPrefilled scores completions whose prompt already opened <think>", async () => {
    expect(await score(formatReward, ["reason\n</think>\n<answer>\n4\n</answer>"], { thinkPrefilled: true })).toEqual([1]);
    expect(formatScore("reason\n</think>\n<answer>\n4\n</answer>")).toBe(0);
  });
});

describe("tagCount", () => {
  it("adds 0.25 per tag present exactly once", async () => {
    expect(await score(tagCountReward, [
      good,
      "",
      "<think>\nx\n</think>\n<think>\ny\n</think>\n<answer>\n4\n</answer>", // think tags twice
      "\n<answer>\n4\n</answer>",
      "<think>\nonly thinking",
    ])).toEqual([1, 0, 0.5, 0.5, 0.25]);
    expect(tagCountScore("<think>\n\n</think>\n")).toBe(0.5);
  });
});

describe("reasoningSteps", () => {
  it("counts step markers; reward min(1, n/3)", async () => {
    expect(await score(reasoningStepsReward, [
      "Step 1: a\nStep 2: b\nStep 3: c",
      "First, x. Next, y.",
      "1. add\n2. carry",
      "",
      "- a\n- b\n- c\n- d",
      "no structure at all",
    ])).toEqual([1, 2 / 3, 2 / 3, 0, 1, 0]);
    expect(countStepMarkers("- a\n- b\n* c")).toBe(2);
    expect(await score(reasoningStepsReward, ["First, a. Second, b."], { steps: 4 })).toEqual([0.5]);
  });
});
