import { describe, expect, it } from "vitest";
import { autogradBasics } from "../autograd-basics.ts";

describe("examples/autograd-basics", () => {
  it("computes the documented loss and gradient and leaves no tensors behind", async () => {
    const { loss, gradW, liveTensorsAfter } = await autogradBasics();
    // y = x w = [[4.5, -0.5], [9.5, -2]]; loss = mean(y^2) = (20.25 + 0.25 + 90.25 + 4) / 4
    expect(loss).toBeCloseTo(114.75 / 4, 4);
    // dloss/dw = x^T (2 y / 4) = x^T y / 2
    expect(gradW[0][0]).toBeCloseTo((1 * 4.5 + 3 * 9.5) / 2, 4);
    expect(gradW[0][1]).toBeCloseTo((1 * -0.5 + 3 * -2) / 2, 4);
    expect(gradW[1][0]).toBeCloseTo((2 * 4.5 + 4 * 9.5) / 2, 4);
    expect(gradW[1][1]).toBeCloseTo((2 * -0.5 + 4 * -2) / 2, 4);
    expect(liveTensorsAfter).toBe(0);
  });
});
