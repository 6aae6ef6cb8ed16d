/** The package's example runs: the loss goes down on the GPU and the FP8 GEMM equals core's reference. */
import { describe, expect, it } from "vitest";
import { webgpuBasics } from "../examples/webgpu-basics.ts";
import { webgpuUnavailableReason } from "../src/index.ts";

const unavailable = await webgpuUnavailableReason();
if (unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu tests, but: ${unavailable}`);

describe.skipIf(unavailable !== undefined)("examples/webgpu-basics", () => {
  it("trains a linear map and runs the FP8 GEMM", async () => {
    const { adapter, losses, fp8MaxAbsDiff } = await webgpuBasics();
    expect(adapter.length).toBeGreaterThan(0);
    expect(losses).toHaveLength(20);
    expect(losses[19]).toBeLessThan(losses[0] / 10);
    expect(fp8MaxAbsDiff).toBe(0);
  });
});
