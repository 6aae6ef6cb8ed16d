/** Indexing kernels: gather / scatter-add, take / put along an axis, one-hot. */
import type { DType, PrimitiveAttrs } from "@r1ts/core";
import { sizeOf } from "@r1ts/core";
import { onnx } from "../proto.ts";
import type { OnnxTypes } from "../proto.ts";
import { FLOAT, INT64, ONNX_TYPE } from "../dtypes.ts";
import type { GraphBuilder } from "../graph-builder.ts";
import { type Lowering, reshape } from "./lowering.ts";

/** Zeros of `shape` and `dtype`. */
export function zeros(g: GraphBuilder, shape: readonly number[], dtype: DType): string {
  const value: OnnxTypes.ITensorProto = { dataType: ONNX_TYPE[dtype], dims: [1], rawData: new Uint8Array(dtype === "f32" || dtype === "i32" ? 4 : 1) };
  return g.op("ConstantOfShape", [g.int64s(shape)], { value: { tensor: value } });
}

export const indexingLowerings = {
  Gather: ((g, [x, idx], { axis }) => [g.op("Gather", [x, idx], { axis })]) as Lowering<PrimitiveAttrs["Gather"]>,
  // out = zeros with `size` along axis; out[..., idx[j], ...] += updates[..., j, ...]: as ScatterND (reduction add)
  // on the layout [size, pre, post], updates [N, pre, post] with N = the number of indices.
  ScatterAdd: ((g, [u, idx], { axis, size }, { inputs, outputs }) => {
    const us = inputs[0].shape;
    const r = inputs[1].shape.length;
    const pre = sizeOf(us.slice(0, axis));
    const n = sizeOf(inputs[1].shape);
    const post = sizeOf(us.slice(axis + r));
    const updates = g.op("Transpose", [reshape(g, u, [pre, n, post])], { perm: [1, 0, 2] });
    const indices = reshape(g, g.op("Cast", [idx], { to: INT64 }), [n, 1]);
    const scattered = g.op("ScatterND", [zeros(g, [size, pre, post], inputs[0].dtype), indices, updates], { reduction: "add" });
    return [reshape(g, g.op("Transpose", [scattered], { perm: [1, 0, 2] }), outputs[0].shape)];
  }) as Lowering<PrimitiveAttrs["ScatterAdd"]>,
  TakeAlongAxis: ((g, [x, idx], { axis }) => [g.op("GatherElements", [x, idx], { axis })]) as Lowering<PrimitiveAttrs["TakeAlongAxis"]>,
  PutAlongAxisAdd: ((g, [u, idx], { axis }, { inputs, outputs }) => [
    g.op("ScatterElements", [zeros(g, outputs[0].shape, inputs[0].dtype), idx, u], { axis, reduction: "add" }),
  ]) as Lowering<PrimitiveAttrs["PutAlongAxisAdd"]>,
  // One-hot as a comparison with 0..depth-1, so out-of-range indices give an all-zero row (ONNX OneHot wraps negatives).
  OneHot: ((g, [idx], { depth }) => {
    const classes = g.i32(Array.from({ length: depth }, (_, i) => i));
    return [g.op("Cast", [g.op("Equal", [g.op("Unsqueeze", [idx, g.int64s([-1])]), classes])], { to: FLOAT })];
  }) as Lowering<PrimitiveAttrs["OneHot"]>,
};
