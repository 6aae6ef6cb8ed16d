import { describe, expect, it } from "vitest";
import { createRewardRunner } from "@r1ts/core";
import type { RewardBatch } from "@r1ts/core";
import { accuracyReward, extractFinalAnswer, lastAnswerTag, lastBoxed, mathEquivalent, parsableGold } from "../src/index.ts";

const think = (answer: string) => `<think>\nwork\n</think>\n<answer>\n${answer}\n</answer>`;

async function accuracy(rows: [completion: string, gold: unknown][], options: Record<string, unknown> = {}, column = "answer") {
  const batch: RewardBatch = { prompts: rows.map(() => "q"), completions: rows.map((r) => r[0]), columns: { [column]: rows.map((r) => r[1]) } };
  return (await createRewardRunner([{ reward: accuracyReward, options }]).score(batch)).perReward.accuracy;
}

describe("answer extraction", () => {
  it("takes the last \\boxed{} with balanced braces, else the last <answer> block", () => {
    expect(lastBoxed("\\boxed{1} then \\boxed{\\frac{1}{2}}")).toBe("\\frac{1}{2}");
    expect(lastBoxed("\\boxed{unclosed")).toBeNull();
    expect(lastAnswerTag("<answer>1</answer><answer> 2 </answer>")).toBe("2");
    expect(extractFinalAnswer("<answer>4</answer> but \\boxed{5}")).toBe("5");
    expect(extractFinalAnswer("just 4")).toBeNull();
    expect(extractFinalAnswer("")).toBeNull();
  });
});

describe("mathEquivalent", () => {
  it("compares integers, decimals, fractions, LaTeX and expressions symbolically", () => {
    const equal: [string, string][] = [
      ["4", "4"], ["4.0", "4"], ["0.5", "\\frac{1}{2}"], ["\\dfrac{3}{4}", "3/4"], ["12,345", "12345"], ["x = 5", "5"],
      ["$\\frac{\\pi}{2}$", "\\pi/2"], ["1+2x", "2x+1"], ["(x-1)(x+1)", "x^2-1"], ["\\sin(\\pi/3)", "\\frac{\\sqrt{3}}{2}"],
      ["2^{10}", "1024"], ["50\\%", "0.5"], ["-3", "-3.0"], ["\\left(1, 2\\right)", "(1,2)"], ["90^\\circ", "90"], ["5.", "5"],
    ];
    for (const [p, g] of equal) expect(mathEquivalent(p, g), `${p} = ${g}`).toBe(true);
    const different: [string, string][] = [["3", "4"], ["1.41421356", "\\sqrt{2}"], ["x+1", "y+1"], ["", "5"], ["abc\\{", "5"], ["0.3333", "1/3"]];
    for (const [p, g] of different) expect(mathEquivalent(p, g), `${p} != ${g}`).toBe(false);
  });

  it("is null when the gold answer cannot be parsed", () => {
    expect(mathEquivalent("5", "")).toBeNull();
    expect(mathEquivalent("5", "\\frac{")).toBeNull();
    expect(parsableGold("\\frac{")).toBe(false);
    expect(parsableGold("7/8")).toBe(true);
  });
});

describe("accuracy reward", () => {
  it("scores 1 for an equivalent final answer, 0 otherwise, null for unparseable or missing gold", async () => {
    expect(await accuracy([
      [think("4"), "4"],
      [think("\\frac{1}{2}"), "0.5"],
      ["so \\boxed{2x+1}", "1+2x"],
      [think("5"), "4"],
      ["\\boxed{3} and then <answer>4</answer>", "4"], // the boxed answer wins
      ["", "4"], // empty completion
      ["the answer is 4", "4"], // no tags, no box
      [think("4"), "\\frac{"], // gold unparseable
      [think("4"), null], // no gold
      [think("12"), "The total is \\boxed{12}."], // gold is a solution with a box
      [think("4"), 4], // numeric gold
    ])).toEqual([1, 1, 1, 0, 0, 0, 0, null, null, 1, 1]);
  });

  it("reads the gold answer from the configured column", async () => {
    expect(await accuracy([[think("7"), "7"]], { answerColumn: "solution" }, "solution")).toEqual([1]);
    expect(await accuracy([[think("7"), "7"]], {}, "solution")).toEqual([null]);
  });
});
