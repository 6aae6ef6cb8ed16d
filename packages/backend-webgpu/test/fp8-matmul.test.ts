/**
 * The FP8 GEMM kernel against core's reference fp8Gemm (docs/fp8.md): the same E4M3 codes and
 * scales give the same f32 results bit for bit, for partial K slices and weight blocks, unaligned K,
 * other promotion intervals, no promotion, and a full-precision accumulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Generator, QuantizationError, engine, fp8Gemm, quantizeActivations, quantizeWeights } from "@r1ts/core";
import type { Fp8GemmOptions } from "@r1ts/core";
import { createWebGPUBackend, fp8Matmul, quantizeActivationsGpu, uploadBlockQuantized, webgpuUnavailableReason } from "../src/index.ts";
import type { WebGPUBackend } from "../src/index.ts";

const unavailable = await webgpuUnavailableReason();
if (unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu tests, but: ${unavailable}`);

function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Float32Array {
  const g = new Generator(seed);
  // Rows of different magnitudes, so the per-tile scales differ.
  return Float32Array.from({ length: rows * cols }, (_, i) => g.normal() * scale * (1 + (Math.floor(i / cols) % 5)));
}

describe.skipIf(unavailable !== undefined)("fp8Matmul on webgpu", () => {
  let backend: WebGPUBackend;
  beforeAll(async () => {
    backend = await createWebGPUBackend();
  });
  afterAll(() => backend?.destroy());

  async function compare(m: number, n: number, k: number, options: Fp8GemmOptions = {}): Promise<void> {
    const aq = quantizeActivations(randomMatrix(m, k, 1 + m), m, k);
    const bq = quantizeWeights(randomMatrix(n, k, 2 + n, 0.05), n, k);
    const expected = fp8Gemm(aq, bq, options);
    const a = uploadBlockQuantized(backend, aq);
    const b = uploadBlockQuantized(backend, bq);
    const before = backend.numBuffers();
    const c = fp8Matmul(backend, a, b, options);
    expect(c.shape).toEqual([m, n]);
    const actual = (await c.data()) as Float32Array;
    c.dispose();
    expect(backend.numBuffers()).toBe(before);
    for (const t of [a.codes, a.scales, b.codes, b.scales]) t.dispose();
    let mismatches = 0;
    let first = -1;
    for (let i = 0; i < expected.length; i++) {
      if (!Object.is(actual[i], expected[i])) {
        mismatches++;
        if (first < 0) first = i;
      }
    }
    expect(mismatches, first < 0 ? "" : `first at ${first}: ${actual[first]} vs ${expected[first]}`).toBe(0);
  }

  it("matches the reference bit for bit: K = 300 (a partial slice), N = 160 (a partial weight block)", () => compare(9, 160, 300));
  it("matches with K not a multiple of 4 (codes straddle words)", () => compare(5, 70, 259));
  it("matches with promotion every 32 elements", () => compare(8, 130, 256, { promotionInterval: 32 }));
  it("matches without promotion (every product scaled, one limited accumulator)", () => compare(4, 66, 384, { promotionInterval: "never" }));
  it("matches with a full-precision (23-bit) accumulator", () => compare(3, 65, 200, { accumulatorMantissaBits: 23 }));
  it("covers several 64 x 64 output tiles", () => compare(70, 140, 128));

  for (const [m, k] of [[6, 300], [3, 259]] as const) {
    it(`quantises activations [${m}, ${k}] on the GPU into the codes and scales of core's quantizeActivations`, async () => {
      const host = randomMatrix(m, k, 11 + k, 3);
      host[5] = 0; // a zero and a tiny tile value exercise the amax floor and subnormal codes
      host[6] = 1e-7;
      const expected = quantizeActivations(host, m, k);
      const x = engine.makeTensor(host, [m, k], "f32", backend);
      const q = quantizeActivationsGpu(backend, x);
      expect(q.codes.dtype).toBe("f8e4m3");
      expect(q.scales.shape).toEqual([m, Math.ceil(k / 128)]);
      expect(Array.from(await q.scales.data())).toEqual(Array.from(expected.scales));
      expect(Array.from(await q.codes.data())).toEqual(Array.from(expected.codes));
      // The FP8 linear layer end to end on the GPU: quantise, then the FP8 GEMM against 128 x 128 weight blocks.
      const wq = quantizeWeights(randomMatrix(40, k, 5, 0.1), 40, k);
      const w = uploadBlockQuantized(backend, wq);
      const y = fp8Matmul(backend, q, w);
      expect(Array.from(await y.data())).toEqual(Array.from(fp8Gemm(expected, wq)));
      for (const t of [x, q.codes, q.scales, w.codes, w.scales, y]) t.dispose();
      expect(backend.numBuffers()).toBe(0);
    });
  }

  it("rejects operands that do not fit, naming what is wrong", () => {
    const aq = quantizeActivations(randomMatrix(2, 128, 3), 2, 128);
    const bq = quantizeWeights(randomMatrix(3, 256, 4), 3, 256);
    const a = uploadBlockQuantized(backend, aq);
    const b = uploadBlockQuantized(backend, bq);
    expect(() => fp8Matmul(backend, a, b)).toThrow(/same K/);
    expect(() => fp8Matmul(backend, a, a, { promotionInterval: 48 })).toThrow(QuantizationError);
    expect(() => fp8Matmul(backend, { ...a, blockRows: 128 }, a)).toThrow(/scales must be f32/);
    for (const t of [a.codes, a.scales, b.codes, b.scales]) t.dispose();
  });
});
