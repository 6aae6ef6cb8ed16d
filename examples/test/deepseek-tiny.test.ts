import { describe, expect, it } from "vitest";
import { deepseekTiny } from "../deepseek-tiny.ts";

describe("examples/deepseek-tiny", () => {
  it("trains with FP8 linears and the MoE bias update, decodes with the latent cache, and frees its tensors", async () => {
    const lines: string[] = [];
    const result = await deepseekTiny({ steps: 2, newTokens: 6, log: (l) => lines.push(l) });
    expect(result.losses).toHaveLength(2);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result.losses[1]).toBeLessThan(result.losses[0]);
    expect(result.loadRatios.every((x) => x >= 1)).toBe(true);
    expect(result.cacheValuesPerTokenPerLayer).toBe(32 + 8); // kvLoraRank + qkRopeHeadDim
    expect(result.activatedParams).toBeLessThan(result.params);
    expect(result.liveTensorsAfter).toBe(0);
    expect(lines.at(-1)).toMatch(/^"alice was " -> /);
  });
});
