/**
 * A conformance case: one kernel call (kernel, attributes, input specs) and what is known about its
 * result: golden values written from the formula, properties, and how to check its gradient.
 */
import type { KernelAttrs, KernelName } from "../../backend/kernels.ts";
import type { DType, TypedArray } from "../../tensor/dtype.ts";
import type { Generator } from "../../random/generator.ts";
import type { Tolerance } from "../tolerance.ts";

/** Values of an input: explicit (bit patterns for storage dtypes), or drawn from a seeded generator. */
export type ValueSource = readonly number[] | ((generator: Generator, size: number) => number[]);

export interface InputSpec {
  shape: number[];
  dtype: DType;
  values: ValueSource;
}

/** What a kernel returned, read back to the host. */
export interface OutputValues {
  shape: number[];
  dtype: DType;
  values: TypedArray;
}

export interface ExpectedOutput {
  shape?: number[];
  dtype?: DType;
  values: readonly number[];
}

export interface GradientSpec {
  /** Check against central finite differences (default true); false keeps only the parity check, e.g. at a tie. */
  finiteDifference?: boolean;
  /** Finite-difference step, when the default does not suit the function's curvature. */
  step?: number;
  /** Widens the finite-difference tolerance for this case. */
  tolerance?: Partial<Tolerance>;
}

/** Runs the same case again with some attributes changed (for properties such as determinism). */
export type Rerun<K extends KernelName> = (attrs?: Partial<KernelAttrs[K]>) => Promise<OutputValues[]>;

export interface KernelCase<K extends KernelName = KernelName> {
  /** Unique; starts with the kernel name. */
  name: string;
  kernel: K;
  attrs: KernelAttrs[K];
  inputs: InputSpec[];
  /** Golden outputs computed independently of any backend (by hand, or with Math from the formula). */
  expected?: ExpectedOutput[];
  /** Properties the outputs must have (statistics of sampling, determinism); throws when violated. */
  check?: (outputs: OutputValues[], rerun: Rerun<K>) => void | Promise<void>;
  /** Widens the f32 tolerance for this case (e.g. large magnitudes). */
  tolerance?: Partial<Tolerance>;
  /** Gradient checks; `false` skips them (NaN/inf inputs, saturated regions). Ignored for non-differentiable kernels. */
  gradient?: false | GradientSpec;
  /** Integer outputs that may differ from the reference in this fraction of elements (sampling at CDF boundaries). */
  parityMismatchFraction?: number;
}

/** A case of any kernel (attributes typed per kernel). */
export type AnyKernelCase = { [K in KernelName]: KernelCase<K> }[KernelName];

/** Types a case's attributes against its kernel. */
export function kernelCase<K extends KernelName>(c: KernelCase<K>): AnyKernelCase {
  return c as unknown as AnyKernelCase;
}
