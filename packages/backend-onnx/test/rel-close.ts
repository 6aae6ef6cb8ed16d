/** Test helper: every element within `rtol` of the expected tensor's largest magnitude (relative to the tensor). */
import { expect } from "vitest";

export function relClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number): void {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  expect(worst).toBeLessThanOrEqual(rtol * Math.max(scale, 1e-12));
}
