/** What a kernel's lowering sees: the graph, its input names, attributes and the inferred specs. */
import type { TensorSpec } from "@r1ts/core";
import { R1tsError } from "@r1ts/core";
import type { GraphBuilder } from "../graph-builder.ts";

export interface LowerContext {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** Adds a kernel's nodes to `g` and returns the names of its outputs (one per output spec). */
export type Lowering<A> = (g: GraphBuilder, x: readonly string[], attrs: A, ctx: LowerContext) => string[];

/** A kernel call ONNX (or ORT's JavaScript binding) cannot express inside a graph; it runs on the host instead. */
export class NotExpressibleError extends R1tsError {}

/** Swaps the last two axes of a rank-`rank` value. */
export function transposeLastTwo(g: GraphBuilder, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return g.op("Transpose", [x], { perm });
}

export function reshape(g: GraphBuilder, x: string, shape: readonly number[]): string {
  return g.op("Reshape", [x, g.int64s(shape)]);
}
