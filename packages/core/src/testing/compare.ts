/** Comparing a kernel's outputs with expected ones: shape, dtype, then values within the dtype's tolerance. */
import type { DType } from "../tensor/dtype.ts";
import { formatShape, shapesEqual } from "../tensor/shape.ts";
import { AllCloseError, allClose } from "./all-close.ts";
import type { OutputValues } from "./cases/case.ts";
import { isExactDType } from "./tolerance.ts";
import type { Tolerance } from "./tolerance.ts";

export interface ExpectedValues {
  shape?: readonly number[];
  dtype?: DType;
  values: ArrayLike<number>;
}

export interface CompareOptions {
  /** Tolerance of an output of this dtype. */
  tolerance: (dtype: DType) => Tolerance;
  /** Fraction of elements of an exact (integer) output allowed to differ; 0 by default. */
  mismatchFraction?: number;
  /** Names the comparison in messages, e.g. `"case X: backend vs reference"`. */
  what: string;
}

/** Throws an AllCloseError naming the first difference: count, shape, dtype, or values. */
export function compareOutputs(actual: readonly OutputValues[], expected: readonly ExpectedValues[], { tolerance, mismatchFraction = 0, what }: CompareOptions): void {
  if (actual.length !== expected.length) throw new AllCloseError(`${what}: ${actual.length} outputs, expected ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i];
    const name = actual.length > 1 ? `${what}, output ${i}` : what;
    if (e.shape && !shapesEqual(a.shape, e.shape)) throw new AllCloseError(`${name}: shape ${formatShape(a.shape)}, expected ${formatShape(e.shape)}`);
    if (e.dtype && a.dtype !== e.dtype) throw new AllCloseError(`${name}: dtype ${a.dtype}, expected ${e.dtype}`);
    const result = allClose(a.values, e.values, tolerance(a.dtype), { shape: a.shape, what: `${name} (${a.dtype} ${formatShape(a.shape)})` });
    if (result.pass) return;
    const allowed = Math.floor(mismatchFraction * e.values.length);
    if (isExactDType(a.dtype) && result.mismatches > 0 && result.mismatches <= allowed) return;
    throw new AllCloseError(allowed > 0 ? `${result.message}\n  (up to ${allowed} mismatches are allowed)` : result.message);
  });
}
