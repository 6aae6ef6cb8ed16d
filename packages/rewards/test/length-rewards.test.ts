import { describe, expect, it } from "vitest";
import { createRewardRunner } from "@r1ts/core";
import type { Reward, RewardBatch } from "@r1ts/core";
import {
  cosineReward, cosineScaled, kimiLengthScores, lengthReward, repetitionPenalty, repetitionReward, softOverlongPenalty, softOverlongReward,
} from "../src/index.ts";

const right = "<answer>4</answer>";
const wrong = "<answer>5</answer>";
const ids = (n: number) => Array.from({ length: n }, (_, i) => i);

async function score(reward: Reward<any>, batch: RewardBatch, options: Record<string, unknown> = {}) {
  return (await createRewardRunner([{ reward, options }]).score(batch)).perReward[reward.name];
}

describe("length (Kimi 1.5)", () => {
  it("lambda = 0.5 - (len - min)/(max - min); correct -> lambda, wrong -> min(0, lambda); null gold -> null", async () => {
    // lengths 10, 12, 30, 20, 28 tokens; min 10, max 30
    const batch: RewardBatch = {
      prompts: ["", "", "", "", ""],
      completions: [right, wrong, right, right, wrong],
      completionIds: [10, 12, 30, 20, 28].map(ids),
      columns: { answer: ["4", "4", "4", "\\frac{", "4"] },
    };
    const scores = (await score(lengthReward, batch)) as number[];
    const expected = [0.5, 0, -0.5, null, -0.4];
    scores.forEach((s, i) => (expected[i] === null ? expect(s).toBeNull() : expect(s).toBeCloseTo(expected[i]!, 12)));
  });

  it("all lengths equal -> 0 for every row; characters without token ids", async () => {
    expect(kimiLengthScores([5, 5, 5], [1, 0, null])).toEqual([0, 0, null]);
    const batch: RewardBatch = { prompts: ["", ""], completions: [right, `${right}xxxxxxxxxx`], columns: { answer: ["4", "4"] } };
    expect(await score(lengthReward, batch)).toEqual([0.5, -0.5]);
    await expect(score(lengthReward, batch, { lengthUnit: "tokens" })).rejects.toThrow(/no completionIds/);
  });
});

describe("cosine-scaled length", () => {
  it("follows v = a + 0.5 (b - a)(1 + cos(pi len / maxLen)) with the defaults of docs/rewards.md", async () => {
    const lengths = [0, 500, 1000, 0, 250, 1000, 2000];
    const batch: RewardBatch = {
      prompts: lengths.map(() => ""),
      completions: [right, right, right, wrong, wrong, wrong, wrong],
      completionIds: lengths.map(ids),
      columns: { answer: lengths.map(() => "4") },
    };
    const scores = (await score(cosineReward, batch)) as number[];
    const expected = [1.0, 0.75, 0.5, -1.0, -0.5 - 0.25 * (1 + Math.SQRT1_2), -0.5, -0.5];
    scores.forEach((s, i) => expect(s).toBeCloseTo(expected[i], 12));
  });

  it("takes its bounds and maxLength from options; null when the gold answer cannot be parsed", async () => {
    expect(cosineScaled(50, true, { minCorrect: 0, maxCorrect: 2, minWrong: -2, maxWrong: 0, maxLength: 100 })).toBeCloseTo(1, 12);
    const batch: RewardBatch = { prompts: [""], completions: [right], completionIds: [ids(3)], columns: { answer: [""] } };
    expect(await score(cosineReward, batch)).toEqual([null]);
  });
});

describe("repetition", () => {
  it("(1 - unique/total word 3-grams) * maxPenalty; 0 for short or empty texts", async () => {
    const texts = ["a b c a b c", "A b C a B c", "a b", "", "one two three four", "x x x x x x"];
    const batch: RewardBatch = { prompts: texts.map(() => ""), completions: texts, columns: {} };
    expect(await score(repetitionReward, batch)).toEqual([-0.25, -0.25, 0, 0, 0, -0.75]);
    expect(repetitionPenalty("a b c a b c", 3, -0.5)).toBe(-0.125);
    expect(repetitionPenalty("a a a", 1)).toBeCloseTo(-2 / 3, 12);
    expect(() => createRewardRunner([{ reward: repetitionReward, options: { maxPenalty: 1 } }])).toThrow(/options.maxPenalty: maxPenalty must be <= 0/);
  });
});

describe("soft overlong punishment (DAPO)", () => {
  it("0 up to Lmax - C, (Lmax - C - L)/C in the buffer, -1 beyond Lmax", async () => {
    const lengths = [0, 6, 7, 8, 10, 11, 100];
    const batch: RewardBatch = { prompts: lengths.map(() => ""), completions: lengths.map(() => ""), completionIds: lengths.map(ids), columns: {} };
    expect(await score(softOverlongReward, batch, { maxLength: 10, bufferLength: 4 })).toEqual([0, 0, -0.25, -0.5, -1, -1, -1]);
    expect(softOverlongPenalty(20480 - 4096, 20480, 4096)).toBe(0);
    expect(() => createRewardRunner([{ reward: softOverlongReward, options: { maxLength: 10, bufferLength: 20 } }])).toThrow(/options.bufferLength: bufferLength must not exceed maxLength/);
  });
});
