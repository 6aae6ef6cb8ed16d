/**
 * Multinomial draws the reference backend's samples: the same counter-based uniforms, the same
 * inverse-CDF rule. Sums are f32 here and f64 there, so a draw within rounding of a CDF boundary may
 * differ; over 16384 draws from 1000 classes none does today, and the test allows 0.1%.
 */
import { describe, expect, it } from "vitest";
import { Generator, createReferenceBackend, engine } from "@r1ts/core";
import type { Backend } from "@r1ts/core";
import { createTfjsBackendOn } from "./helpers.ts";

function draw(backend: Backend, logits: Float32Array, rows: number, classes: number, numSamples: number, seed: number): Int32Array {
  return engine.withBackend(backend, () => {
    const x = engine.makeTensor(logits, [rows, classes], "f32");
    const [y] = engine.runKernel("Multinomial", [x], { numSamples, seed });
    const values = y.dataSync() as Int32Array;
    x.dispose();
    y.dispose();
    return values;
  });
}

describe("Multinomial matches the reference backend's draws", () => {
  for (const device of ["wasm", "cpu"] as const) {
    it(`on ${device}: 64 rows x 1000 classes x 256 samples`, async () => {
      const backend = await createTfjsBackendOn({ device });
      const g = new Generator(5);
      const [rows, classes, samples] = [64, 1000, 256];
      const logits = Float32Array.from({ length: rows * classes }, () => 3 * g.normal());
      const mine = draw(backend, logits, rows, classes, samples, 99);
      const reference = draw(createReferenceBackend(), logits, rows, classes, samples, 99);
      const differing = mine.filter((v, i) => v !== reference[i]).length;
      expect(differing).toBeLessThanOrEqual(Math.ceil(0.001 * mine.length));
      // Another seed gives other draws (the seed reaches the generator).
      const other = draw(backend, logits, rows, classes, samples, 100);
      expect(other.filter((v, i) => v === mine[i]).length).toBeLessThan(mine.length / 2);
      expect(backend.numBuffers()).toBe(0);
    });
  }
});
