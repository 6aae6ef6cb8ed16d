/**
 * Cast between the compute dtypes (f32, i32, bool) and between f32 and the storage floats, bit-exact
 * with core's codecs. Packed outputs are written one u32 word per thread.
 */
import type { DType, KernelImpl, PrimitiveAttrs } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import { ParamLayout } from "../gpu/params.ts";
import { groupsFor, program } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { gpuBits } from "../gpu/storage.ts";
import { FLOAT_HELPERS, sizeOfShape } from "../shaders/common.ts";
import { MINIFLOAT_WGSL } from "../shaders/minifloat.ts";

/** WGSL expression turning element `v` (u32 bits as stored) of `from` into the u32 bits of `to`. */
function convert(from: DType, to: DType): string {
  const f = "bitcast<f32>(v)";
  const i = "bitcast<i32>(v)";
  if (from === to) return "v";
  if (from === "f32") {
    switch (to) {
      case "i32":
        // Truncates toward zero, saturates at the i32 range; NaN gives 0.
        return `bitcast<u32>(select(select(select(i32(${f}), -2147483647 - 1, ${f} <= -2147483648.0), 2147483647, ${f} >= 2147483648.0), 0, is_nan(${f})))`;
      case "bool":
        return `select(0u, 1u, ${f} != 0.0 || is_nan(${f}))`;
      case "f16":
        return "f32_to_f16_bits(v)";
      case "bf16":
        return "f32_to_bf16_bits(v)";
      case "f8e4m3":
        return "f32_to_e4m3_bits(v)";
      case "f8e5m2":
        return "f32_to_e5m2_bits(v)";
      case "u8":
        // As a typed-array store: truncate, then modulo 256 (NaN and infinities give 0).
        return `select(u32(trunc(${f}) - 256.0 * floor(trunc(${f}) / 256.0)) & 0xffu, 0u, is_nan(${f}) || is_inf(${f}))`;
    }
  }
  if (to === "f32") {
    switch (from) {
      case "i32":
        return `bitcast<u32>(f32(${i}))`;
      case "bool":
        return "bitcast<u32>(select(0.0, 1.0, v != 0u))";
      case "f16":
        return "f16_bits_to_f32(v)";
      case "bf16":
        return "bf16_bits_to_f32(v)";
      case "f8e4m3":
        return "e4m3_bits_to_f32(v)";
      case "f8e5m2":
        return "e5m2_bits_to_f32(v)";
      case "u8":
        return "bitcast<u32>(f32(v))";
    }
  }
  if (from === "i32" && to === "bool") return "select(0u, 1u, v != 0u)";
  if (from === "bool" && to === "i32") return "select(0u, 1u, v != 0u)";
  throw new Error(`webgpu: no cast from ${from} to ${to}`);
}

export function castKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["Cast"]> {
  return ([x], { dtype }, [spec]) => {
    const size = sizeOfShape(spec.shape);
    const src = gpuDataOf(x);
    if (x.dtype === dtype) {
      const out = rt.alloc(dtype, size);
      rt.queue.copy(src.buffer, out.buffer, out.bytes);
      return [out];
    }
    const inBits = gpuBits(x.dtype);
    const outBits = gpuBits(dtype);
    const out = rt.alloc(dtype, size);
    const key = `cast:${x.dtype}:${dtype}`;
    const inPer = 32 / inBits;
    const outPer = 32 / outBits;
    const load = inBits === 32 ? "x[o]" : `(x[o / ${inPer}u] >> ((o % ${inPer}u) * ${inBits}u)) & ${2 ** inBits - 1}u`;
    const p = rt.program(key, () =>
      program({
        label: key,
        bindings: [{ name: "x", type: "u32", access: "read" }, { name: "out", type: "u32", access: "read_write" }],
        params: new ParamLayout().u32("total"),
        helpers: `${FLOAT_HELPERS}\n${MINIFLOAT_WGSL}\nfn conv(o: u32) -> u32 { let v = ${load}; return ${convert(x.dtype, dtype)}; }`,
        body:
          outBits === 32
            ? `  if (gid >= p_total()) { return; }\n  out[gid] = conv(gid);`
            : `  let first = gid * ${outPer}u;
  if (first >= p_total()) { return; }
  var word = 0u;
  for (var e = 0u; e < ${outPer}u; e++) {
    if (first + e < p_total()) { word |= (conv(first + e) & ${2 ** outBits - 1}u) << (e * ${outBits}u); }
  }
  out[gid] = word;`,
      }),
    );
    rt.run(p, [src, out], { total: size }, groupsFor(Math.ceil(size / outPer), p.workgroupSize));
    return [out];
  };
}
