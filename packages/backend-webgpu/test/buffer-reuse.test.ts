/**
 * The buffer pool's ordering rule: a buffer released while its batch is still being recorded must not
 * take a host upload before that batch runs (queue.writeBuffer runs before the batch is submitted), yet
 * kernels recorded later in the batch may reuse it. Also: released buffers are reused, not re-created.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engine } from "@r1ts/core";
import { createWebGPUBackend, webgpuUnavailableReason } from "../src/index.ts";
import type { WebGPUBackend } from "../src/index.ts";
import { sizeClass } from "../src/gpu/buffer-pool.ts";
import type { GpuData } from "../src/gpu/gpu-tensor.ts";

const unavailable = await webgpuUnavailableReason();
if (unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu tests, but: ${unavailable}`);

describe("size classes", () => {
  it("are multiples of 256 bytes, and from 1 KiB up waste at most 25% (4 classes per power of two)", () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(256)).toBe(256);
    expect(sizeClass(257)).toBe(512);
    expect(sizeClass(1025)).toBe(1280);
    for (const bytes of [1024, 4096, 5000, 123457, 1 << 20]) {
      expect(sizeClass(bytes)).toBeGreaterThanOrEqual(bytes);
      expect(sizeClass(bytes)).toBeLessThanOrEqual(bytes * 1.25);
    }
  });
});

describe.skipIf(unavailable !== undefined)("buffer reuse on webgpu", () => {
  let backend: WebGPUBackend;
  beforeAll(async () => {
    backend = await createWebGPUBackend();
  });
  afterAll(() => backend?.destroy());

  it("an upload never overwrites a buffer that a recorded, unsubmitted kernel still reads", async () => {
    const a = engine.makeTensor(new Float32Array([1, 2, 3, 4]), [4], "f32", backend);
    const [doubled] = engine.runKernel("Add", [a, a], {});
    expect(backend.runtime.queue.batchOpen).toBe(true);
    a.dispose(); // a's buffer goes back to the pool while the Add is not yet submitted
    const c = engine.makeTensor(new Float32Array([100, 200, 300, 400]), [4], "f32", backend);
    expect(Array.from(await doubled.data())).toEqual([2, 4, 6, 8]);
    expect(Array.from(await c.data())).toEqual([100, 200, 300, 400]);
    doubled.dispose();
    c.dispose();
  });

  it("a tensor over the adapter's storage binding limit fails at once with a BackendError naming the limit", () => {
    const limit = backend.adapter.limits.maxStorageBufferBindingSize;
    const x = engine.makeTensor(new Float32Array(1), [1], "f32", backend);
    const elements = Math.floor(limit / 4) + 1;
    expect(() => engine.runKernel("Pad", [x], { paddings: [[0, elements - 1]], value: 0 })).toThrow(/storage binding limit/);
    x.dispose();
    expect(backend.numBuffers()).toBe(0);
  });

  it("a kernel recorded later in the same batch may reuse a released buffer", async () => {
    const x = engine.makeTensor(new Float32Array([1, -2, 3, -4]), [4], "f32", backend);
    await x.data(); // settle the upload
    const [y] = engine.runKernel("Neg", [x], {});
    const [z] = engine.runKernel("Abs", [y], {});
    const yBuffer = (y.dataId as GpuData).buffer;
    y.dispose();
    const [w] = engine.runKernel("Exp", [z], {}); // takes y's buffer: the Abs that read it runs first
    expect((w.dataId as GpuData).buffer).toBe(yBuffer);
    expect(Array.from(await z.data())).toEqual([1, 2, 3, 4]);
    const ew = await w.data();
    [1, 2, 3, 4].forEach((v, i) => expect(ew[i]).toBeCloseTo(Math.exp(v), 4));
    for (const t of [x, z, w]) t.dispose();
    expect(backend.numBuffers()).toBe(0);
  });
});
