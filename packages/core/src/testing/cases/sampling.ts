/**
 * Cases of Multinomial: its draws are checked statistically (frequencies within 3 sigma of the
 * softmax probabilities), for determinism (same seed, same draws), and masked classes (-inf, -1e30)
 * are never drawn.
 */
import { kernelCase } from "./case.ts";
import type { AnyKernelCase, OutputValues } from "./case.ts";
import { f32 } from "./inputs.ts";

function fail(message: string): never {
  throw new Error(`Multinomial: ${message}`);
}

/** Class counts of each row of an i32 [rows, samples] output. */
function counts(out: OutputValues, classes: number): number[][] {
  const [rows, samples] = out.shape;
  return Array.from({ length: rows }, (_, r) => {
    const c = new Array<number>(classes).fill(0);
    for (let s = 0; s < samples; s++) {
      const k = out.values[r * samples + s];
      if (!(k >= 0 && k < classes)) fail(`row ${r} sample ${s} drew class ${k}, outside 0..${classes - 1}`);
      c[k]++;
    }
    return c;
  });
}

/** Each class's frequency lies within 3 standard deviations of its probability; zero-probability classes never appear. */
function checkFrequencies(out: OutputValues, probs: number[][]): void {
  const samples = out.shape[1];
  counts(out, probs[0].length).forEach((row, r) => {
    row.forEach((count, k) => {
      const p = probs[r][k];
      if (p === 0) {
        if (count > 0) fail(`row ${r}: masked class ${k} (probability 0) was drawn ${count} times`);
        return;
      }
      const sigma = Math.sqrt((p * (1 - p)) / samples);
      const freq = count / samples;
      if (Math.abs(freq - p) > 3 * sigma) {
        fail(`row ${r}: class ${k} drawn with frequency ${freq.toFixed(4)}, expected ${p} +- ${(3 * sigma).toFixed(4)} (3 sigma, ${samples} samples)`);
      }
    });
  });
}

const PROBS = [0.1, 0.2, 0.3, 0.4];

export const samplingCases: AnyKernelCase[] = [
  kernelCase({
    name: "Multinomial: frequencies within 3 sigma, masked classes never drawn",
    kernel: "Multinomial",
    attrs: { numSamples: 4000, seed: 7 },
    // Row 0: known probabilities. Row 1: large logits (softmax must be stabilised) and two masked classes.
    inputs: [f32([2, 4], [...PROBS.map(Math.log), 1000, 1000 + Math.log(3), -1e30, -Infinity])],
    check: ([out]) => checkFrequencies(out, [PROBS, [0.25, 0.75, 0, 0]]),
    parityMismatchFraction: 0.01,
  }),
  kernelCase({
    name: "Multinomial: same seed, same draws; another seed, other draws",
    kernel: "Multinomial",
    attrs: { numSamples: 64, seed: 123 },
    inputs: [f32([3, 5], [0, 0, 0, 0, 0, 1, 2, 3, 4, 5, -1, 0.5, -Infinity, 2, 0])],
    check: async ([out], rerun) => {
      const [again] = await rerun();
      if (again.values.some((v, i) => v !== out.values[i])) fail("the same seed gave different draws");
      const [other] = await rerun({ seed: 124 });
      const same = other.values.filter((v, i) => v === out.values[i]).length;
      if (same === other.values.length) fail("seeds 123 and 124 gave identical draws");
      const samples = out.shape[1];
      for (let s = 0; s < samples; s++) if (out.values[2 * samples + s] === 2) fail("row 2 drew its masked class 2");
    },
    parityMismatchFraction: 0.01,
  }),
  kernelCase({
    name: "Multinomial: one class left",
    kernel: "Multinomial",
    attrs: { numSamples: 16, seed: 5 },
    inputs: [f32([2, 3], [0, -Infinity, -Infinity, -1e30, -1e30, 5])],
    expected: [{ shape: [2, 16], dtype: "i32", values: [...new Array<number>(16).fill(0), ...new Array<number>(16).fill(2)] }],
  }),
  kernelCase({
    name: "Multinomial: numSamples 0",
    kernel: "Multinomial",
    attrs: { numSamples: 0, seed: 1 },
    inputs: [f32([2, 3], [0, 1, 2, 3, 4, 5])],
    expected: [{ shape: [2, 0], dtype: "i32", values: [] }],
  }),
];
