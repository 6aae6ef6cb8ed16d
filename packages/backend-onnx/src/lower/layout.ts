/** Layout kernels: transpose, slice, pad, concat (any dtype: storage dtypes move as their bits). */
import type { PrimitiveAttrs } from "@r1ts/core";
import { isComputeDType } from "@r1ts/core";
import { type Lowering, NotExpressibleError } from "./lowering.ts";

export const layoutLowerings = {
  Transpose: ((g, [x], { perm }) => [g.op("Transpose", [x], { perm })]) as Lowering<PrimitiveAttrs["Transpose"]>,
  Slice: ((g, [x], { begin, size }) => {
    const axes = begin.map((_, i) => i);
    return [g.op("Slice", [x, g.int64s(begin), g.int64s(begin.map((b, i) => b + size[i])), g.int64s(axes)])];
  }) as Lowering<PrimitiveAttrs["Slice"]>,
  Pad: ((g, [x], { paddings, value }, { inputs }) => {
    const dtype = inputs[0].dtype;
    if (!isComputeDType(dtype)) throw new NotExpressibleError(`Pad of a ${dtype} tensor: its pad value must be encoded on the host`);
    const pads = g.int64s([...paddings.map(([b]) => b), ...paddings.map(([, a]) => a)]);
    const fill = dtype === "f32" ? g.f32(value) : dtype === "i32" ? g.i32(value) : g.op("Cast", [g.i32(value ? 1 : 0)], { to: 9 });
    return [g.op("Pad", [x, pads, fill], { mode: "constant" })];
  }) as Lowering<PrimitiveAttrs["Pad"]>,
  Concat: ((g, xs, { axis }) => [g.op("Concat", [...xs], { axis })]) as Lowering<PrimitiveAttrs["Concat"]>,
};
