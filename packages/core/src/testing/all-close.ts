/**
 * allClose: elementwise comparison of two arrays of numbers with a readable verdict (the first
 * mismatching index, actual vs expected, the largest difference), like jax-js's all-close matcher.
 *
 * |actual - expected| <= atol + rtol * |expected|. NaN matches NaN; an infinity matches only the same
 * infinity; -0 matches 0.
 */
import { DEFAULT_TOLERANCES } from "./tolerance.ts";
import type { Tolerance } from "./tolerance.ts";

export interface AllCloseResult {
  pass: boolean;
  /** Mismatching elements (0 when the lengths differ). */
  mismatches: number;
  /** Flat index of the first mismatch, or -1. */
  firstMismatch: number;
  /** Largest |actual - expected| over finite pairs. */
  maxAbsDiff: number;
  /** Empty when `pass`; else what differs, where, and by how much. */
  message: string;
}

export interface AllCloseOptions {
  /** Shape of both arrays, to print multi-dimensional indices. */
  shape?: readonly number[];
  /** Prefix of the message (what was compared). */
  what?: string;
}

function closeEnough(a: number, e: number, { rtol, atol }: Tolerance): boolean {
  if (Number.isNaN(e) || Number.isNaN(a)) return Number.isNaN(e) && Number.isNaN(a);
  if (!Number.isFinite(e) || !Number.isFinite(a)) return a === e;
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

/** The multi-dimensional index of flat index `i` in `shape`, as "[i, j, k]". */
export function formatIndex(i: number, shape?: readonly number[]): string {
  if (!shape || shape.length === 0) return `[${i}]`;
  const idx = new Array<number>(shape.length);
  let rest = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = shape[d] === 0 ? 0 : rest % shape[d];
    rest = shape[d] === 0 ? 0 : Math.floor(rest / shape[d]);
  }
  return `[${idx.join(", ")}]`;
}

export function allClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance = DEFAULT_TOLERANCES.f32,
  { shape, what = "values" }: AllCloseOptions = {},
): AllCloseResult {
  if (actual.length !== expected.length) {
    return {
      pass: false,
      mismatches: 0,
      firstMismatch: -1,
      maxAbsDiff: NaN,
      message: `${what}: ${actual.length} elements, expected ${expected.length}`,
    };
  }
  let mismatches = 0;
  let firstMismatch = -1;
  let maxAbsDiff = 0;
  let worst = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isFinite(a) && Number.isFinite(e)) {
      const d = Math.abs(a - e);
      if (d > maxAbsDiff) {
        maxAbsDiff = d;
        worst = i;
      }
    }
    if (!closeEnough(a, e, tolerance)) {
      mismatches++;
      if (firstMismatch < 0) firstMismatch = i;
    }
  }
  if (mismatches === 0) return { pass: true, mismatches, firstMismatch, maxAbsDiff, message: "" };
  const a = actual[firstMismatch];
  const e = expected[firstMismatch];
  const lines = [
    `${what}: ${mismatches} of ${expected.length} elements differ (rtol ${tolerance.rtol}, atol ${tolerance.atol})`,
    `  first at ${formatIndex(firstMismatch, shape)}: actual ${a}, expected ${e}, |diff| ${Math.abs(a - e)}`,
    `  max |diff| ${maxAbsDiff}${worst >= 0 ? ` at ${formatIndex(worst, shape)} (actual ${actual[worst]}, expected ${expected[worst]})` : ""}`,
  ];
  if (expected.length <= 16) {
    lines.push(`  actual:   [${Array.from(actual).join(", ")}]`, `  expected: [${Array.from(expected).join(", ")}]`);
  }
  return { pass: false, mismatches, firstMismatch, maxAbsDiff, message: lines.join("\n") };
}

/** Throws an Error with allClose's message when the arrays differ. */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance = DEFAULT_TOLERANCES.f32,
  options: AllCloseOptions = {},
): void {
  const result = allClose(actual, expected, tolerance, options);
  if (!result.pass) throw new AllCloseError(result.message);
}

export class AllCloseError extends Error {
  override readonly name = "AllCloseError";
}
