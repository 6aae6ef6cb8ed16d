import { describe, expect, it } from "vitest";
import { Generator, R1_ZERO_TEMPLATE, arithmeticTask, checkCountdownEquation, countdownTask, r1Completion, r1ZeroPrompt } from "../src/index.ts";

describe("R1-Zero template", () => {
  it("puts the question in place of {prompt} and ends with Assistant:", () => {
    const p = r1ZeroPrompt("47+85");
    expect(p.startsWith("A conversation between User and Assistant.")).toBe(true);
    expect(p.endsWith("User: 47+85. Assistant:")).toBe(true);
    expect(R1_ZERO_TEMPLATE).toContain("<think> reasoning process here </think> <answer> answer here </answer>");
    expect(r1Completion("7+5=12", "12")).toBe("<think>\n7+5=12\n</think>\n<answer>\n12\n</answer>");
  });
});

describe("arithmetic task", () => {
  const task = arithmeticTask({ minDigits: 2, maxDigits: 3, seed: 3 });

  it("draws the same problems for the same seed, with correct answers", () => {
    const a = Array.from({ length: 50 }, ((rng) => () => task.sampleTrain(rng))(new Generator(7)));
    const b = Array.from({ length: 50 }, ((rng) => () => task.sampleTrain(rng))(new Generator(7)));
    expect(a.map((p) => p.id)).toEqual(b.map((p) => p.id));
    for (const p of a) {
      expect(p.answer).toBe(String(p.a + p.b));
      expect(p.a).toBeGreaterThanOrEqual(10);
      expect(p.a).toBeLessThan(1000);
      expect(p.columns.answer).toBe(p.answer);
      expect(p.prompt).toBe(r1ZeroPrompt(`${p.a}+${p.b}`));
    }
  });

  it("never gives a held-out problem for training; the held-out list is fixed and about heldOutFraction of the space", () => {
    const held = task.heldOut(200);
    expect(new Set(held.map((p) => p.id)).size).toBe(200);
    expect(task.heldOut(200).map((p) => p.id)).toEqual(held.map((p) => p.id));
    const heldIds = new Set(held.map((p) => p.id));
    const rng = new Generator(1);
    for (let i = 0; i < 3000; i++) {
      const p = task.sampleTrain(rng);
      expect(task.isHeldOut(p)).toBe(false);
      expect(heldIds.has(p.id)).toBe(false);
    }
    // The split is a hash of the problem: about 10% of uniformly drawn problems are held out.
    const all = new Generator(9);
    let n = 0;
    for (let i = 0; i < 4000; i++) if (task.isHeldOut({ ...task.sampleTrain(all), id: `${all.int(900) + 100}+${all.int(900) + 100}` })) n++;
    expect(n / 4000).toBeGreaterThan(0.07);
    expect(n / 4000).toBeLessThan(0.13);
  });

  it("works column additions right to left with carries", () => {
    const p = { ...task.sampleTrain(new Generator(0)), a: 487, b: 65, op: "+" as const, question: "487+65", answer: "552" };
    expect(task.working(p)).toBe("7+5=12\n8+6+1=15\n4+0+1=5");
    expect(task.working({ ...p, a: 50, b: 50 })).toBe("0+0=0\n5+5=10");
  });

  it("rejects bad options", () => {
    expect(() => arithmeticTask({ minDigits: 3, maxDigits: 2 })).toThrow(/minDigits <= maxDigits/);
    expect(() => arithmeticTask({ operations: ["/" as never] })).toThrow(/operations must be/);
  });
});

describe("countdown task", () => {
  const task = countdownTask({ seed: 1 });

  it("every problem has a reference solution that the checker accepts", () => {
    const rng = new Generator(5);
    for (let i = 0; i < 200; i++) {
      const p = task.sampleTrain(rng);
      expect(p.numbers.length).toBeGreaterThanOrEqual(3);
      expect(p.numbers.length).toBeLessThanOrEqual(4);
      expect(p.target).toBeGreaterThanOrEqual(1);
      expect(p.target).toBeLessThanOrEqual(100);
      expect(checkCountdownEquation(p.columns.solution as string, p.numbers, p.target)).toBe("correct");
      expect(task.isHeldOut(p)).toBe(false);
    }
    const held = task.heldOut(30);
    expect(held.every((p) => task.isHeldOut(p))).toBe(true);
  });

  it("checks equations: correct, wrong numbers, wrong value, malformed", () => {
    expect(checkCountdownEquation("(44 + 19) + 35", [44, 19, 35], 98)).toBe("correct");
    expect(checkCountdownEquation("44 + 19 + 35 * 1", [44, 19, 35], 98)).toBe("wrong");
    expect(checkCountdownEquation("44 + 19", [44, 19, 35], 63)).toBe("wrong");
    expect(checkCountdownEquation("44 + 19 - 35", [44, 19, 35], 98)).toBe("wrong");
    expect(checkCountdownEquation("100 / (7 - 2) * 3", [100, 7, 2, 3], 60)).toBe("correct");
    expect(checkCountdownEquation("44 + + 19", [44, 19], 63)).toBe("malformed");
    expect(checkCountdownEquation("(44 + 19", [44, 19], 63)).toBe("malformed");
    expect(checkCountdownEquation("import os", [1], 1)).toBe("malformed");
  });
});
