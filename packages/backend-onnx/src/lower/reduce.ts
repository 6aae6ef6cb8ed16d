/** Reductions, softmax, top-k, cumulative sums and matrix products. */
import type { PrimitiveAttrs } from "@r1ts/core";
import { INT32 } from "../dtypes.ts";
import { type Lowering, transposeLastTwo } from "./lowering.ts";

type ReduceAttrs = { axes: number[]; keepDims: boolean };

function reduce(op: "ReduceSum" | "ReduceMax"): Lowering<ReduceAttrs> {
  return (g, [x], { axes, keepDims }, { inputs }) => {
    // No axes: nothing is reduced (ONNX would reduce everything).
    if (axes.length === 0) return [g.op("Identity", [x])];
    const reduced = g.op(op, [x, g.int64s(axes)], { keepdims: keepDims ? 1 : 0 });
    if (op !== "ReduceMax" || inputs[0].dtype !== "f32") return [reduced];
    // ORT's ReduceMax skips NaN; the contract propagates it (as Math.max does).
    const nan = g.op("ReduceMax", [g.op("Cast", [g.op("IsNaN", [x])], { to: INT32 }), g.int64s(axes)], { keepdims: keepDims ? 1 : 0 });
    return [g.op("Where", [g.op("Greater", [nan, g.i32(0)]), g.f32(Number.NaN), reduced])];
  };
}

export const reduceLowerings = {
  Sum: reduce("ReduceSum"),
  Max: reduce("ReduceMax"),
  ArgMax: ((g, [x], { axis }) => [g.op("Cast", [g.op("ArgMax", [x], { axis, keepdims: 0, select_last_index: 0 })], { to: INT32 })]) as Lowering<PrimitiveAttrs["ArgMax"]>,
  Softmax: ((g, [x]) => [g.op("Softmax", [x], { axis: -1 })]) as Lowering<Record<string, never>>,
  LogSoftmax: ((g, [x]) => [g.op("LogSoftmax", [x], { axis: -1 })]) as Lowering<Record<string, never>>,
  TopK: ((g, [x], { k }) => {
    const [values, indices] = g.node("TopK", [x, g.int64s([k])], { axis: -1, largest: 1, sorted: 1 }, { outputs: 2 });
    return [values, g.op("Cast", [indices], { to: INT32 })];
  }) as Lowering<PrimitiveAttrs["TopK"]>,
  Cumsum: ((g, [x], { axis, exclusive, reverse }) => [g.op("CumSum", [x, g.int64(axis)], { exclusive: exclusive ? 1 : 0, reverse: reverse ? 1 : 0 })]) as Lowering<PrimitiveAttrs["Cumsum"]>,
  MatMul: ((g, [a, b], { transposeA, transposeB }, { inputs }) => {
    const a2 = transposeA ? transposeLastTwo(g, a, inputs[0].shape.length) : a;
    const b2 = transposeB ? transposeLastTwo(g, b, inputs[1].shape.length) : b;
    return [g.op("MatMul", [a2, b2])];
  }) as Lowering<PrimitiveAttrs["MatMul"]>,
};

