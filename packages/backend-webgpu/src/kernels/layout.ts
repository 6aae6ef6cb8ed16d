/** Layout kernels as index maps: transpose, slice, pad, concat. */
import type { KernelImpl, PrimitiveAttrs, TensorInfo, TensorSpec } from "@r1ts/core";
import { encodeBF16, encodeF16, fp8 } from "@r1ts/core";
import type { DType } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import type { GpuData } from "../gpu/gpu-tensor.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { sizeOfShape, stridedOffset, stridesOf } from "../shaders/common.ts";
import { runIndexMap } from "./index-map.ts";

export function transposeKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["Transpose"]> {
  return ([x], { perm }, [spec]) => {
    const rank = spec.shape.length;
    const inStrides = stridesOf(x.shape);
    const out = runIndexMap(
      rt,
      {
        key: `transpose:${rank}`,
        inputs: 1,
        dtype: x.dtype,
        params: (p) => p.u32s("shape", rank).u32s("strides", rank),
        srcOf: `${stridedOffset("off", rank, "shape", "strides")}\nfn src_of(o: u32) -> vec2<i32> { return vec2<i32>(0, i32(off(o))); }`,
      },
      [gpuDataOf(x)],
      sizeOfShape(spec.shape),
      { shape: spec.shape, strides: perm.map((p) => inStrides[p]) },
    );
    return [out];
  };
}

export function sliceKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["Slice"]> {
  return ([x], { begin }, [spec]) => {
    const rank = spec.shape.length;
    const strides = stridesOf(x.shape);
    const start = begin.reduce((acc, b, i) => acc + b * strides[i], 0);
    const out = runIndexMap(
      rt,
      {
        key: `slice:${rank}`,
        inputs: 1,
        dtype: x.dtype,
        params: (p) => p.u32s("shape", rank).u32s("strides", rank).u32("start"),
        srcOf: `${stridedOffset("off", rank, "shape", "strides")}\nfn src_of(o: u32) -> vec2<i32> { return vec2<i32>(0, i32(p_start() + off(o))); }`,
      },
      [gpuDataOf(x)],
      sizeOfShape(spec.shape),
      { shape: spec.shape, strides, start },
    );
    return [out];
  };
}

/** Bits of `value` in `dtype` (the fill of pad). */
export function fillBits(value: number, dtype: DType): number {
  switch (dtype) {
    case "f32":
      return new Uint32Array(new Float32Array([value]).buffer)[0];
    case "i32":
      return value | 0;
    case "bool":
      return value ? 1 : 0;
    case "f16":
      return encodeF16(value);
    case "bf16":
      return encodeBF16(value);
    case "f8e4m3":
      return fp8.encodeE4M3(value);
    case "f8e5m2":
      return fp8.encodeE5M2(value);
    case "u8":
      return value & 0xff;
  }
}

export function padKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["Pad"]> {
  return ([x], { paddings, value }, [spec]) => {
    const rank = spec.shape.length;
    const srcOf = `fn src_of(o: u32) -> vec2<i32> {
  var rem = o;
  var off = 0u;
  for (var d = 0u; d < ${rank}u; d++) {
    let i = ${Math.max(rank - 1, 0)}u - d;
    let c = i32(rem % p_shape(i)) - i32(p_before(i));
    rem /= p_shape(i);
    if (c < 0 || c >= i32(p_inShape(i))) { return vec2<i32>(-1, 0); }
    off += u32(c) * p_strides(i);
  }
  return vec2<i32>(0, i32(off));
}`;
    const out = runIndexMap(
      rt,
      { key: `pad:${rank}`, inputs: 1, dtype: x.dtype, params: (p) => p.u32s("shape", rank).u32s("inShape", rank).u32s("before", rank).u32s("strides", rank), srcOf },
      [gpuDataOf(x)],
      sizeOfShape(spec.shape),
      { shape: spec.shape, inShape: x.shape, before: paddings.map(([b]) => b), strides: stridesOf(x.shape) },
      fillBits(value, x.dtype),
    );
    return [out];
  };
}

/** Inputs per concat dispatch (each is a storage binding). */
const CONCAT_GROUP = 6;

export function concatKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["Concat"]> {
  const concatGroup = (parts: { data: GpuData; shape: readonly number[] }[], axis: number, outShape: number[]): GpuData => {
    const n = parts.length;
    const inner = sizeOfShape(outShape.slice(axis + 1));
    const starts = [0];
    for (const p of parts) starts.push(starts[starts.length - 1] + p.shape[axis]);
    const srcOf = `fn src_of(o: u32) -> vec2<i32> {
  let total = p_start(${n}u);
  let i = o % p_inner();
  let a = (o / p_inner()) % total;
  let outer = o / (p_inner() * total);
  for (var k = 0u; k < ${n}u; k++) {
    let lo = p_start(k);
    let hi = p_start(k + 1u);
    if (a >= lo && a < hi) { return vec2<i32>(i32(k), i32((outer * (hi - lo) + (a - lo)) * p_inner() + i)); }
  }
  return vec2<i32>(-1, 0);
}`;
    return runIndexMap(
      rt,
      { key: `concat:${n}`, inputs: n, dtype: parts[0].data.dtype, params: (p) => p.u32("inner").u32s("start", n + 1), srcOf },
      parts.map((p) => p.data),
      sizeOfShape(outShape),
      { inner, start: starts },
    );
  };
  return (inputs: readonly TensorInfo[], { axis }, [spec]: readonly TensorSpec[]) => {
    let parts = inputs.map((t) => ({ data: gpuDataOf(t), shape: t.shape }));
    const temporaries: GpuData[] = [];
    while (parts.length > CONCAT_GROUP) {
      const group = parts.slice(0, CONCAT_GROUP);
      const shape = [...group[0].shape];
      shape[axis] = group.reduce((s, p) => s + p.shape[axis], 0);
      const data = concatGroup(group, axis, shape);
      temporaries.push(data);
      parts = [{ data, shape }, ...parts.slice(CONCAT_GROUP)];
    }
    const out = concatGroup(parts, axis, spec.shape);
    for (const t of temporaries) rt.release(t);
    return [out];
  };
}
