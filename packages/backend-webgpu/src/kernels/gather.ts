/**
 * Gather and take-along-axis (index maps), and where for storage dtypes. An out-of-range index reads
 * zero: the GPU cannot raise an error without reading back (the reference backend throws).
 */
import type { KernelImpl, PrimitiveAttrs, TensorInfo, TensorSpec } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import type { GpuData } from "../gpu/gpu-tensor.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { broadcastStrides, sizeOfShape, stridedOffset } from "../shaders/common.ts";
import { runIndexMap } from "./index-map.ts";

/** Splits a shape around `axis` into (outer, n, inner) element counts. */
export function around(shape: readonly number[], axis: number, span = 1): [number, number, number] {
  return [sizeOfShape(shape.slice(0, axis)), sizeOfShape(shape.slice(axis, axis + span)), sizeOfShape(shape.slice(axis + span))];
}

export function gatherKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["Gather"]> {
  return ([x, indices], { axis }, [spec]) => {
    const [, n, inner] = around(x.shape, axis);
    const m = sizeOfShape(indices.shape);
    const srcOf = `fn src_of(o: u32) -> vec2<i32> {
  let i = o % p_inner();
  let j = (o / p_inner()) % p_m();
  let outer = o / (p_inner() * p_m());
  let r = indices[j];
  if (r < 0 || u32(r) >= p_n()) { return vec2<i32>(-1, 0); }
  return vec2<i32>(0, i32((outer * p_n() + u32(r)) * p_inner() + i));
}`;
    const out = runIndexMap(
      rt,
      { key: "gather", inputs: 1, dtype: x.dtype, extra: [{ name: "indices", type: "i32", access: "read" }], params: (p) => p.u32("inner").u32("m").u32("n"), srcOf },
      [gpuDataOf(indices), gpuDataOf(x)],
      sizeOfShape(spec.shape),
      { inner, m, n },
    );
    return [out];
  };
}

export function takeAlongAxisKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["TakeAlongAxis"]> {
  return ([x, indices], { axis }, [spec]) => {
    const [, n, inner] = around(x.shape, axis);
    const m = indices.shape[axis];
    const srcOf = `fn src_of(o: u32) -> vec2<i32> {
  let i = o % p_inner();
  let outer = o / (p_inner() * p_m());
  let r = indices[o];
  if (r < 0 || u32(r) >= p_n()) { return vec2<i32>(-1, 0); }
  return vec2<i32>(0, i32((outer * p_n() + u32(r)) * p_inner() + i));
}`;
    const out = runIndexMap(
      rt,
      { key: "take-along-axis", inputs: 1, dtype: x.dtype, extra: [{ name: "indices", type: "i32", access: "read" }], params: (p) => p.u32("inner").u32("m").u32("n"), srcOf },
      [gpuDataOf(indices), gpuDataOf(x)],
      sizeOfShape(spec.shape),
      { inner, m, n },
    );
    return [out];
  };
}

/** Where on storage dtypes (f16, bf16, FP8, u8): copies the bits of the chosen branch. */
export function packedWhere(rt: Runtime, c: TensorInfo, a: TensorInfo, b: TensorInfo, spec: TensorSpec): GpuData {
  const rank = spec.shape.length;
  const srcOf = `${stridedOffset("off_c", rank, "shape", "st_c")}
${stridedOffset("off_a", rank, "shape", "st_a")}
${stridedOffset("off_b", rank, "shape", "st_b")}
fn src_of(o: u32) -> vec2<i32> {
  if (cond[off_c(o)] != 0u) { return vec2<i32>(0, i32(off_a(o))); }
  return vec2<i32>(1, i32(off_b(o)));
}`;
  return runIndexMap(
    rt,
    { key: `where:${rank}`, inputs: 2, dtype: a.dtype, extra: [{ name: "cond", type: "u32", access: "read" }], params: (p) => p.u32s("shape", rank).u32s("st_c", rank).u32s("st_a", rank).u32s("st_b", rank), srcOf },
    [gpuDataOf(c), gpuDataOf(a), gpuDataOf(b)],
    sizeOfShape(spec.shape),
    { shape: spec.shape, st_c: broadcastStrides(c.shape, spec.shape), st_a: broadcastStrides(a.shape, spec.shape), st_b: broadcastStrides(b.shape, spec.shape) },
  );
}
