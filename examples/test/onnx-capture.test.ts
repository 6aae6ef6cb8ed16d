import { describe, expect, it } from "vitest";
import { onnxCapture } from "../onnx-capture.ts";

describe("examples/onnx-capture", () => {
  it("learns the sequence with one captured training graph and continues it with captured decoding", async () => {
    const { losses, sample, graphs } = await onnxCapture({ steps: 40 });
    expect(losses[0]).toBeGreaterThan(2);
    expect(losses[losses.length - 1]).toBeLessThan(0.2);
    expect(sample).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    const training = graphs.filter((g) => g.fn === "copyStep");
    expect(training).toHaveLength(1);
    expect(training[0].runs).toBe(40);
    expect(graphs.some((g) => g.fn.startsWith("decode[") && g.runs === 7)).toBe(true);
  }, 60_000);
});
