/** The f16 GEMM (shader-f16): f16 operands, f32 accumulation, against the f32 product of the same values. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Generator, ShapeError, encodeF16, decodeF16, engine } from "@r1ts/core";
import { expectAllClose } from "@r1ts/core/testing";
import { createWebGPUBackend, hasShaderF16, matmulF16, webgpuUnavailableReason } from "../src/index.ts";
import type { WebGPUBackend } from "../src/index.ts";

const unavailable = await webgpuUnavailableReason();
if (unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu tests, but: ${unavailable}`);

/** Random f16 bit patterns and their exact values. */
function halfMatrix(rows: number, cols: number, seed: number): { bits: Uint16Array; values: Float64Array } {
  const g = new Generator(seed);
  const bits = Uint16Array.from({ length: rows * cols }, () => encodeF16(g.normal()));
  return { bits, values: Float64Array.from(bits, decodeF16) };
}

describe.skipIf(unavailable !== undefined)("matmulF16 on webgpu", () => {
  let backend: WebGPUBackend;
  beforeAll(async () => {
    backend = await createWebGPUBackend();
  });
  afterAll(() => backend?.destroy());

  for (const [m, k, n, transposeA, transposeB] of [
    [70, 36, 68, false, false],
    [33, 17, 65, true, false],
    [40, 64, 72, true, true],
    [5, 130, 3, false, true],
  ] as const) {
    it(`[${m},${k}] x [${k},${n}]${transposeA ? " A^T" : ""}${transposeB ? " B^T" : ""} equals the f64 product of the f16 values to f32 rounding`, async () => {
      const a = halfMatrix(m, k, m + k);
      const b = halfMatrix(k, n, n + 3);
      // Stored layouts: A^T is [k, m], B^T is [n, k].
      const aStored = transposeA ? transposeBits(a.bits, m, k) : a.bits;
      const bStored = transposeB ? transposeBits(b.bits, k, n) : b.bits;
      const ta = engine.makeTensor(aStored, transposeA ? [k, m] : [m, k], "f16", backend);
      const tb = engine.makeTensor(bStored, transposeB ? [n, k] : [k, n], "f16", backend);
      const c = matmulF16(backend, ta, tb, { transposeA, transposeB });
      expect(c.dtype).toBe("f32");
      expect(c.shape).toEqual([m, n]);
      const actual = await c.data();
      const expected = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) expected[i * n + j] += a.values[i * k + p] * b.values[p * n + j];
      expectAllClose(actual, expected, { rtol: 1e-5, atol: 1e-5 });
      for (const t of [ta, tb, c]) t.dispose();
      expect(backend.numBuffers()).toBe(0);
    });
  }

  it("reads f16 directly where the adapter has shader-f16", () => {
    expect(hasShaderF16(backend)).toBe(backend.adapter.features.includes("shader-f16"));
  });

  it("rejects non-f16 operands", () => {
    const x = engine.makeTensor(new Float32Array(4), [2, 2], "f32", backend);
    expect(() => matmulF16(backend, x, x)).toThrow(ShapeError);
    x.dispose();
  });
});

function transposeBits(src: Uint16Array, rows: number, cols: number): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}
