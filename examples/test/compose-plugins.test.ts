import { describe, expect, it } from "vitest";
import { composeAndScore } from "../compose-plugins.ts";

describe("examples/compose-plugins.ts", () => {
  it("composes reward plugins in code, scores a group of rollouts and fires the hooks", async () => {
    const lines: string[] = [];
    const { scores, metrics, control } = await composeAndScore((l) => lines.push(l));
    expect(lines[0]).toBe("plugins: @r1ts/rewards@0.1.0, r1ts-reward-self-check@1.0.0, my-run-plugin@1.0.0");
    expect(lines[1]).toBe("rewards: accuracy, format, tagCount, self-check, closes-answer");
    expect(scores.perReward).toEqual({
      accuracy: [1, 0, 0], // the third never closes its answer, so it has no final answer
      format: [1, 1, 0],
      "self-check": [1, 0, 0],
      "closes-answer": [0, 0, -1],
    });
    // 1 + 0.5 + 0.2 = 1.7; 0.5; -1
    expect(scores.total[0]).toBeCloseTo(1.7, 12);
    expect(scores.total.slice(1)).toEqual([0.5, -1]);
    expect(metrics["reward/mean"]).toBeCloseTo(0.4, 12);
    expect(control.stopRequested).toBe(false);
  });
});
