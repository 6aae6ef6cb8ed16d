/** Builders of input specs: explicit values, or seeded random values shaped for the kernel under test. */
import type { DType } from "../../tensor/dtype.ts";
import type { InputSpec } from "./case.ts";

/** Explicit f32 values. */
export function f32(shape: number[], values: readonly number[]): InputSpec {
  return { shape, dtype: "f32", values };
}

/** Explicit i32 values. */
export function i32(shape: number[], values: readonly number[]): InputSpec {
  return { shape, dtype: "i32", values };
}

/** Explicit booleans (0 / 1). */
export function bool(shape: number[], values: readonly (number | boolean)[]): InputSpec {
  return { shape, dtype: "bool", values: values.map((v) => (v ? 1 : 0)) };
}

/** Explicit bit patterns of a storage dtype (f16, bf16, f8e4m3, f8e5m2). */
export function bits(dtype: DType, shape: number[], values: readonly number[]): InputSpec {
  return { shape, dtype, values };
}

/** Standard normal values times `scale`. */
export function randn(shape: number[], scale = 1): InputSpec {
  return { shape, dtype: "f32", values: (g, n) => Array.from({ length: n }, () => scale * g.normal()) };
}

/** Uniform values in [low, high). */
export function uniform(shape: number[], low: number, high: number): InputSpec {
  return { shape, dtype: "f32", values: (g, n) => Array.from({ length: n }, () => low + (high - low) * g.uniform()) };
}

/** Random sign times a magnitude in [min, max): keeps away from 0 (kinks of relu/abs, poles of division). */
export function awayFromZero(shape: number[], min = 0.3, max = 2): InputSpec {
  return {
    shape,
    dtype: "f32",
    values: (g, n) => Array.from({ length: n }, () => (g.uniform() < 0.5 ? -1 : 1) * (min + (max - min) * g.uniform())),
  };
}

/** Uniform in [low, high), but at least `gap` away from each of `points` (kinks of clamp). */
export function awayFrom(shape: number[], points: number[], low: number, high: number, gap = 0.1): InputSpec {
  return {
    shape,
    dtype: "f32",
    values: (g, n) =>
      Array.from({ length: n }, () => {
        for (;;) {
          const v = low + (high - low) * g.uniform();
          if (points.every((p) => Math.abs(v - p) >= gap)) return v;
        }
      }),
  };
}

/**
 * Distinct values on a grid, shuffled: (k - n/2) * spacing + offset for k = 0..n-1. No ties, and
 * two inputs with offsets differing by spacing/2 never come closer than that (maximum, minimum, max).
 */
export function distinct(shape: number[], spacing = 0.25, offset = 0): InputSpec {
  return {
    shape,
    dtype: "f32",
    values: (g, n) => g.shuffle(Array.from({ length: n }, (_, k) => (k - Math.floor(n / 2)) * spacing + offset)),
  };
}

/** Random integers in [low, high) as i32 (indices when low = 0 and high = the axis size). */
export function ints(shape: number[], low: number, high: number): InputSpec {
  return { shape, dtype: "i32", values: (g, n) => Array.from({ length: n }, () => low + g.int(high - low)) };
}

/** Random booleans. */
export function bools(shape: number[]): InputSpec {
  return { shape, dtype: "bool", values: (g, n) => Array.from({ length: n }, () => (g.uniform() < 0.5 ? 1 : 0)) };
}

/** Row-major values of f(i, j, ...) over `shape` (for tables such as RoPE's cos/sin). */
export function tabulate(shape: number[], f: (...index: number[]) => number): InputSpec {
  const values: number[] = [];
  const index = new Array<number>(shape.length).fill(0);
  const size = shape.reduce((p, q) => p * q, 1);
  for (let n = 0; n < size; n++) {
    values.push(f(...index));
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return f32(shape, values);
}
