import { describe, expect, it } from "vitest";
import { createRewardRunner } from "@r1ts/core";
import type { Reward, RewardBatch } from "@r1ts/core";
import { countdownReward, evaluateArithmetic, languageConsistencyReward, languageFraction, words } from "../src/index.ts";

async function score(reward: Reward<any>, batch: RewardBatch, options: Record<string, unknown> = {}) {
  return (await createRewardRunner([{ reward, options }]).score(batch)).perReward[reward.name];
}
const a = (eq: string) => `<think>\ntry\n</think>\n<answer>${eq}</answer>`;

describe("countdown (TinyZero)", () => {
  it("1.0 for a correct equation using each number once; 0.1 when malformed or wrong; 0 without an answer", async () => {
    const rows: [string, number, number[] | undefined][] = [
      [a("2 * 3 * 4"), 24, [2, 3, 4]],
      [a("(4 - 2) * 3"), 24, [2, 3, 4]], // wrong value
      [a("2 * 3 * 4 * 1"), 24, [2, 3, 4]], // extra number
      [a("2 * 12"), 24, [2, 3, 4]], // other numbers
      ["no answer here", 24, [2, 3, 4]],
      [a("2 * 3 * 4 = 24"), 24, [2, 3, 4]], // '=' brings 24 in
      [a("4 / (3 - 3)"), 24, [3, 3, 4]], // division by zero
      [a("6 / (1 - 3 / 4)"), 24, [1, 3, 4, 6]], // fractions on the way
      [`${a("1")} then ${a("4 * 3 * 2")}`, 24, [2, 3, 4]], // the last answer counts
      [a("2 * 3 * 4"), 24, undefined], // no numbers column: not applicable
      [a("(2 + 3"), 5, [2, 3]], // unbalanced
      [a("alert(2+3)"), 5, [2, 3]], // characters outside the allowed set
      ["", 5, [2, 3]],
    ];
    const batch: RewardBatch = {
      prompts: rows.map(() => ""),
      completions: rows.map((r) => r[0]),
      columns: { target: rows.map((r) => r[1]), nums: rows.map((r) => r[2]) },
    };
    expect(await score(countdownReward, batch)).toEqual([1, 0.1, 0.1, 0.1, 0, 0.1, 0.1, 1, 1, null, 0.1, 0.1, 0]);
    expect(await score(countdownReward, { ...batch, completions: batch.completions.slice(0, 2), prompts: ["", ""], columns: { t: [24, 24], n: [[2, 3, 4], [2, 3, 4]] } },
      { targetColumn: "t", numbersColumn: "n", formatScore: 0, score: 2 })).toEqual([2, 0]);
  });

  it("evaluates arithmetic like Python's eval over the allowed characters, without eval", () => {
    expect(evaluateArithmetic("1 + 2 * 3")).toBe(7);
    expect(evaluateArithmetic("(1 + 2) * 3")).toBe(9);
    expect(evaluateArithmetic("-2**2")).toBe(-4);
    expect(evaluateArithmetic("2**3**2")).toBe(512);
    expect(evaluateArithmetic("7 // 2")).toBe(3);
    expect(evaluateArithmetic("8 / 3")).toBeCloseTo(8 / 3, 15);
    expect(evaluateArithmetic("--3")).toBe(3);
    for (const bad of ["", "1 / 0", "3 4", "2 * (3", "2 +", "process.exit()", "1e3"]) expect(evaluateArithmetic(bad), bad).toBeNull();
  });
});

describe("language consistency", () => {
  it("is the fraction of chain-of-thought words in the target script", async () => {
    const completions = [
      "<think>\nThe answer is four\n</think>\n<answer>4</answer>",
      "<think>答案是 four</think>",
      "no think block, all English",
      "<think>123 + 456 = 579</think>",
      "<think>Привет world</think>",
      "",
    ];
    const batch: RewardBatch = { prompts: completions.map(() => ""), completions, columns: {} };
    expect(await score(languageConsistencyReward, batch)).toEqual([1, 0.25, 1, null, 0.5, null]);
    expect(await score(languageConsistencyReward, batch, { language: "zh" })).toEqual([0, 0.75, 0, null, 0, null]);
    expect(await score(languageConsistencyReward, batch, { scripts: ["Cyrillic"] })).toEqual([0, 0, 0, null, 0.5, null]);
  });

  it("splits words on spaces, and Han/kana per character; combining marks stay with their letter", () => {
    expect(words("naïve cafe\u0301 答案")).toEqual(["naïve", "cafe\u0301", "答", "案"]);
    expect(languageFraction("cafe\u0301 ok", ["Latin"])).toBe(1);
    expect(() => createRewardRunner([{ reward: languageConsistencyReward, options: { language: "xx" } }])).toThrow(/options.language: unknown language "xx"/);
    expect(() => createRewardRunner([{ reward: languageConsistencyReward, options: { scripts: ["Klingon"] } }])).toThrow(/"Klingon" is not a Unicode script name/);
  });
});
