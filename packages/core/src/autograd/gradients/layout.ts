/** Gradients of layout and indexing kernels: each is the kernel's adjoint (transpose <-> inverse transpose, gather <-> scatter-add, ...). */
import { registerGradient } from "../registry.ts";
import type { PrimitiveAttrs } from "../../backend/kernels.ts";
import { engine } from "../../tensor/engine.ts";
import { gather, putAlongAxisAdd, scatterAdd, takeAlongAxis } from "../../ops/indexing.ts";
import { pad, slice, split, transpose } from "../../ops/layout.ts";

/** These gradients read their inputs' shapes only, or the integer indices (input 1). */
const SHAPES_ONLY = { inputs: [], outputs: [] };
const INDICES = { inputs: [1], outputs: [] };

registerGradient<PrimitiveAttrs["Transpose"]>("Transpose", (dy, { attrs: { perm } }) => {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return [transpose(dy, inverse)];
}, SHAPES_ONLY);

registerGradient<PrimitiveAttrs["Slice"]>("Slice", (dy, { inputs: [x], attrs: { begin, size } }) => [
  pad(dy, x.shape.map((d, i) => [begin[i], d - begin[i] - size[i]] as [number, number])),
], SHAPES_ONLY);

registerGradient<PrimitiveAttrs["Pad"]>("Pad", (dy, { inputs: [x], attrs: { paddings } }) => [
  slice(dy, paddings.map(([before]) => before), x.shape),
], SHAPES_ONLY);

registerGradient<PrimitiveAttrs["Concat"]>("Concat", (dy, { inputs, attrs: { axis } }) =>
  engine.tidy(() => split(dy, inputs.map((t) => t.shape[axis]), axis)),
SHAPES_ONLY);

registerGradient<PrimitiveAttrs["Gather"]>("Gather", (dy, { inputs: [x, indices], attrs: { axis } }) => [
  scatterAdd(dy, indices, x.shape[axis], axis),
  null,
], INDICES);

registerGradient<PrimitiveAttrs["ScatterAdd"]>("ScatterAdd", (dy, { inputs: [, indices], attrs: { axis } }) => [gather(dy, indices, axis), null], INDICES);

registerGradient<PrimitiveAttrs["TakeAlongAxis"]>("TakeAlongAxis", (dy, { inputs: [x, indices], attrs: { axis } }) => [
  putAlongAxisAdd(dy, indices, x.shape[axis], axis),
  null,
], INDICES);

registerGradient<PrimitiveAttrs["PutAlongAxisAdd"]>("PutAlongAxisAdd", (dy, { inputs: [, indices], attrs: { axis } }) => [
  takeAlongAxis(dy, indices, axis),
  null,
], INDICES);
