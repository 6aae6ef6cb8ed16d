import { describe, expect, it } from "vitest";
import { generateBatch } from "../generate-batch.ts";

describe("examples/generate-batch", () => {
  it("generates a completion per prompt with finish reasons, and frees its tensors", async () => {
    const { result, liveTensorsAfter } = await generateBatch();
    expect(result.completionIds).toHaveLength(3);
    result.completionIds.forEach((ids, i) => {
      expect(ids.length).toBe(result.completionLengths[i]);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThanOrEqual(12);
      expect(result.completionLogProbs![i]).toHaveLength(ids.length);
      if (result.finishReasons[i] === "length") expect(ids.length).toBe(12);
      if (result.finishReasons[i] === "stop") expect(result.texts![i].endsWith(".")).toBe(true);
    });
    expect(liveTensorsAfter).toBe(0);
  });
});
