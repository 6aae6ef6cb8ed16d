/**
 * A trace: one call of a function recorded symbolically through the engine (kernel names, attributes,
 * value ids, shapes from core's shape inference), with no computation. Variables the function read are
 * graph inputs, variables it assigned are graph outputs written back after each run.
 */
import type { KernelName } from "../backend/kernels.ts";
import type { DType, TypedArray } from "../tensor/dtype.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";

/** A value of the graph: an input, a constant, or an output of a node. */
export interface TraceValue {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** Where an input's buffer comes from on each run. */
export type TraceInputSource =
  /** The compiled function's tensor argument number `index` (in the order its arguments are flattened). */
  | { readonly kind: "argument"; readonly index: number }
  /** A variable's current value (read anew on every run). */
  | { readonly kind: "variable"; readonly variable: Variable }
  /**
   * A tensor made before the capture and read inside it: `tensor` is the compiled function's own view
   * (what each run feeds), `origin` the tensor the function read. An origin disposed later was a
   * temporary of that one call, whose value must not be replayed: the next run fails with a CaptureError.
   */
  | { readonly kind: "captured"; readonly tensor: Tensor; readonly origin: Tensor };

export interface TraceInput {
  readonly value: number;
  /** A readable name: the variable's name, `arg<i>`, or `captured<i>`. */
  readonly name: string;
  readonly source: TraceInputSource;
}

export interface TraceConstant {
  readonly value: number;
  /** The host values (storage array of the value's dtype); one element when `splat`. */
  readonly values: TypedArray;
  /** Every element equals values[0] (e.g. the zeros of a broadcast): stored once. */
  readonly splat?: boolean;
}

/** Reshape never reaches a backend in eager mode (it is a view); in a graph it is a node. */
export type TraceKernel = KernelName | "Reshape";

export interface TraceNode {
  readonly kernel: TraceKernel;
  /** The kernel's attributes; Reshape has `{ shape }`. */
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

export interface TraceAssignment {
  readonly variable: Variable;
  /** The value the variable holds after the run. */
  readonly value: number;
}

export interface Trace {
  readonly values: readonly TraceValue[];
  readonly inputs: readonly TraceInput[];
  readonly constants: readonly TraceConstant[];
  /** In execution order. */
  readonly nodes: readonly TraceNode[];
  /** The function's result tensors, flattened in order. */
  readonly outputs: readonly number[];
  /** Final values of the variables the function assigned, one per variable. */
  readonly assignments: readonly TraceAssignment[];
}

/** Kernel-call counts of a trace, e.g. for a report of what a graph holds. */
export function kernelCounts(trace: Trace): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of trace.nodes) counts[n.kernel] = (counts[n.kernel] ?? 0) + 1;
  return counts;
}
