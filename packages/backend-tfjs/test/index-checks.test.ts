/**
 * Out-of-range indices fail like on the reference backend (a ShapeError naming the index), leave no
 * buffer or tfjs tensor behind, and `checkIndices: false` skips the host read.
 */
import * as tfCore from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { ShapeError, createReferenceBackend, engine } from "@r1ts/core";
import type { Backend, KernelAttrs, KernelName } from "@r1ts/core";
import { createTfjsBackendOn } from "./helpers.ts";

interface BadCall {
  kernel: KernelName;
  attrs: KernelAttrs[KernelName];
  x: { values: number[]; shape: number[] };
  indices: { values: number[]; shape: number[] };
  message: string;
}

const BAD: BadCall[] = [
  { kernel: "Gather", attrs: { axis: 0 }, x: { values: [1, 2, 3], shape: [3] }, indices: { values: [0, 3], shape: [2] }, message: "Gather: index 3 is out of range [0, 3)" },
  { kernel: "ScatterAdd", attrs: { axis: 0, size: 2 }, x: { values: [1, 2], shape: [2] }, indices: { values: [-1, 0], shape: [2] }, message: "ScatterAdd: index -1 is out of range [0, 2)" },
  { kernel: "TakeAlongAxis", attrs: { axis: 1 }, x: { values: [1, 2, 3, 4], shape: [2, 2] }, indices: { values: [0, 2], shape: [2, 1] }, message: "TakeAlongAxis: index 2 is out of range [0, 2)" },
  { kernel: "PutAlongAxisAdd", attrs: { axis: 0, size: 2 }, x: { values: [1, 2], shape: [2] }, indices: { values: [1, 5], shape: [2] }, message: "PutAlongAxisAdd: index 5 is out of range [0, 2)" },
  { kernel: "CrossEntropy", attrs: {}, x: { values: [0, 0, 0, 0], shape: [2, 2] }, indices: { values: [1, 2], shape: [2] }, message: "CrossEntropy: label 2 of row 1 is out of range [0, 2)" },
] as BadCall[];

function call(backend: Backend, c: BadCall): void {
  engine.withBackend(backend, () => {
    const x = engine.makeTensor(c.x.values, c.x.shape, "f32");
    const i = engine.makeTensor(c.indices.values, c.indices.shape, "i32");
    try {
      engine.runKernel(c.kernel, [x, i], c.attrs as never).forEach((t) => t.dispose());
    } finally {
      x.dispose();
      i.dispose();
    }
  });
}

describe("index checks", () => {
  for (const c of BAD) {
    it(`${c.kernel}: the reference backend's error, nothing left behind`, async () => {
      const backend = await createTfjsBackendOn({ device: "wasm" });
      const tensorsBefore = tfCore.memory().numTensors;
      expect(() => call(createReferenceBackend(), c)).toThrow(c.message);
      let error: unknown;
      try {
        call(backend, c);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ShapeError);
      expect((error as Error).message).toBe(c.message);
      expect(backend.numBuffers()).toBe(0);
      expect(tfCore.memory().numTensors).toBe(tensorsBefore);
    });
  }

  it("checkIndices: false does not read indices back (valid ones still work)", async () => {
    const backend = await createTfjsBackendOn({ device: "cpu", checkIndices: false });
    expect(backend.describe?.()).toMatchObject({ checkIndices: false });
    const reads: string[] = [];
    const original = tfCore.Tensor.prototype.dataSync;
    tfCore.Tensor.prototype.dataSync = function (this: tfCore.Tensor) {
      reads.push(this.dtype);
      return original.call(this);
    } as typeof original;
    try {
      const y = engine.withBackend(backend, () => {
        const x = engine.makeTensor([1, 2, 3], [3], "f32");
        const i = engine.makeTensor([2, 0], [2], "i32");
        const [out] = engine.runKernel("Gather", [x, i], { axis: 0 });
        x.dispose();
        i.dispose();
        return out;
      });
      expect(reads).toEqual([]);
      expect(Array.from(await y.data())).toEqual([3, 1]);
      y.dispose();
    } finally {
      tfCore.Tensor.prototype.dataSync = original;
    }
  });
});
