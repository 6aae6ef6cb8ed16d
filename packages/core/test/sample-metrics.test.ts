import { describe, expect, it } from "vitest";
import { R1tsError, type SampleOutcome, passAtK, sampleMetrics } from "../src/index.ts";

const s = (answer: string | null, correct: boolean | null): SampleOutcome => ({ answer, correct });

describe("mean@N, maj@N and pass@k", () => {
  it("on three problems of four samples", () => {
    const problems = [
      // 1 of 4 right, but the majority answer (12, twice) is wrong.
      [s("12", false), s("13", true), s("12", false), s(null, false)],
      // 2 of 4 right, and the majority answer (7, twice; " 7" is trimmed) is right.
      [s("7", true), s("9", false), s(" 7", true), s("8", false)],
      // none right; a tie 3 / 4 goes to the first answer reached (3, wrong).
      [s("3", false), s("4", false), s(null, false), s(null, false)],
    ];
    const m = sampleMetrics(problems, [1, 2, 4]);
    expect(m.samples).toBe(4);
    expect(m.problems).toBe(3);
    expect(m.meanAtN).toBeCloseTo((1 / 4 + 2 / 4 + 0) / 3, 12);
    expect(m.majAtN).toBeCloseTo(1 / 3, 12);
    expect(m.passAtK["1"]).toBeCloseTo(m.meanAtN, 12);
    // pass@2: 1 - C(n - c, 2) / C(4, 2): problem 1: 1 - 3/6, problem 2: 1 - 1/6, problem 3: 0.
    expect(m.passAtK["2"]).toBeCloseTo((0.5 + 5 / 6 + 0) / 3, 12);
    expect(m.passAtK["4"]).toBeCloseTo(2 / 3, 12);
    expect(passAtK(4, 2, 2)).toBeCloseTo(5 / 6, 12);
  });

  it("a tie goes to the answer reached first, and unknown correctness is left out", () => {
    expect(sampleMetrics([[s("a", true), s("b", false), s("b", false), s("a", true)]]).majAtN).toBe(1);
    expect(sampleMetrics([[s("b", false), s("a", true), s("a", true), s("b", false)]]).majAtN).toBe(0);
    const m = sampleMetrics([[s("x", null), s("y", true)], [s("z", null)]], [1, 2]);
    expect([m.problems, m.samples, m.meanAtN, m.majAtN]).toEqual([1, 1, 1, 1]);
    // pass@2 needs two known samples: no problem qualifies.
    expect(m.passAtK["2"]).toBeUndefined();
    expect(Number.isNaN(sampleMetrics([[s("x", null)]]).meanAtN)).toBe(true);
    expect(() => sampleMetrics([], [0])).toThrow(R1tsError);
  });
});
