/**
 * Multinomial sampling with core's counter-based generator, in ONNX integer ops: the uniforms are
 * hashed in uint32 arithmetic (Mul wraps modulo 2^32, BitShift, BitwiseXor), exactly core's
 * random/counter-hash.ts, so every backend draws the same tokens for a seed. The CDF is accumulated in
 * f64 like the reference backend's, and sample = the number of classes whose cumulative weight is <= u * total.
 */
import type { PrimitiveAttrs } from "@r1ts/core";
import { DOUBLE, INT32, UINT32 } from "../dtypes.ts";
import type { GraphBuilder } from "../graph-builder.ts";
import type { Lowering } from "./lowering.ts";

function u32(g: GraphBuilder, values: readonly number[], shape: readonly number[] = [values.length]): string {
  return g.constantOf(Uint32Array.from(values), UINT32, shape);
}

/** xor-shift-multiply finaliser (lowbias32), as core's mix32. */
function mix32(g: GraphBuilder, x0: string): string {
  const shift = (x: string, n: number) => g.op("BitShift", [x, u32(g, [n], [])], { direction: "RIGHT" });
  let x = g.op("BitwiseXor", [x0, shift(x0, 16)]);
  x = g.op("Mul", [x, u32(g, [0x7feb352d], [])]);
  x = g.op("BitwiseXor", [x, shift(x, 15)]);
  x = g.op("Mul", [x, u32(g, [0x846ca68b], [])]);
  return g.op("BitwiseXor", [x, shift(x, 16)]);
}

export const multinomialLowering: Lowering<PrimitiveAttrs["Multinomial"]> = (g, [logits], { numSamples, seed }, { inputs }) => {
  const [rows, classes] = inputs[0].shape;
  const total = rows * numSamples;
  // Uniform number b * numSamples + s of stream `seed` for sample s of row b.
  const counters = u32(g, Array.from({ length: total }, (_, i) => (i + 0x9e3779b9) >>> 0), [rows, numSamples]);
  const bits = mix32(g, g.op("BitwiseXor", [mix32(g, u32(g, [seed >>> 0], [])), mix32(g, counters)]));
  const uniform = g.op("Div", [g.op("Cast", [g.op("BitShift", [bits, u32(g, [8], [])], { direction: "RIGHT" })], { to: DOUBLE }), g.constantOf(Float64Array.from([16777216]), DOUBLE, [])]);
  const x = g.op("Cast", [logits], { to: DOUBLE });
  const weights = g.op("Exp", [g.op("Sub", [x, g.op("ReduceMax", [x, g.int64s([1])], { keepdims: 1 })])]);
  const cdf = g.op("CumSum", [weights, g.int64(1)]);
  const sum = g.op("Slice", [cdf, g.int64s([classes - 1]), g.int64s([classes]), g.int64s([1])]);
  const target = g.op("Unsqueeze", [g.op("Mul", [uniform, sum]), g.int64s([2])]); // [B, S, 1]
  const below = g.op("LessOrEqual", [g.op("Unsqueeze", [cdf, g.int64s([1])]), target]); // [B, S, V]
  const count = g.op("ReduceSum", [g.op("Cast", [below], { to: INT32 }), g.int64s([2])], { keepdims: 0 });
  // A target at or past the total (rounding) falls through: the last class of nonzero weight.
  const classIds = g.i32(Array.from({ length: classes }, (_, j) => j), [1, classes]);
  const lastNonZero = g.op("ReduceMax", [g.op("Where", [g.op("Greater", [weights, g.constantOf(Float64Array.from([0]), DOUBLE, [])]), classIds, g.i32(-1)]), g.int64s([1])], { keepdims: 1 });
  return [g.op("Where", [g.op("GreaterOrEqual", [count, g.i32(classes)]), lastNonZero, count])];
};
