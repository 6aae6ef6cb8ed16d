/**
 * Index-map kernels: each output element is a copy of one input element (or a fill value), found by a
 * WGSL function `src_of(o) -> vec2<i32>` = (which input, element index), with input -1 for the fill
 * value. Copies bits, so it serves every dtype: 32-bit dtypes one element per thread, 16- and 8-bit
 * (packed) dtypes one output word per thread, assembling its 2 or 4 elements.
 * Transpose, slice, pad, concat, gather, take-along-axis and where are all index maps.
 */
import type { DType } from "@r1ts/core";
import type { GpuData } from "../gpu/gpu-tensor.ts";
import { ParamLayout } from "../gpu/params.ts";
import type { Binding, Program } from "../gpu/program.ts";
import { groupsFor, program } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { gpuBits } from "../gpu/storage.ts";

export interface IndexMapSpec {
  /** Cache key of the program (must determine the source). */
  key: string;
  /** Data inputs, read through src_of. */
  inputs: number;
  /** Other read-only bindings (indices, conditions), named as given; bound before the data inputs. */
  extra?: Binding[];
  /** Declares the parameters src_of uses (besides `total` and `fill`). */
  params?: (p: ParamLayout) => void;
  /** WGSL defining `fn src_of(o: u32) -> vec2<i32>` (and anything it needs). */
  srcOf: string;
  dtype: DType;
}

function makeProgram(spec: IndexMapSpec): Program {
  const bits = gpuBits(spec.dtype);
  const params = new ParamLayout().u32("total").u32("fill");
  spec.params?.(params);
  const extra = spec.extra ?? [];
  const inputs: Binding[] = Array.from({ length: spec.inputs }, (_, i) => ({ name: `in${i}`, type: "u32", access: "read" }));
  const per = 32 / bits;
  const mask = bits === 32 ? "0xffffffffu" : `${(2 ** bits - 1).toString()}u`;
  // element(k, idx): bits of element idx of input k.
  const cases = inputs
    .map((b, i) => {
      const read = bits === 32 ? `${b.name}[idx]` : `(${b.name}[idx / ${per}u] >> ((idx % ${per}u) * ${bits}u)) & ${mask}`;
      return `  if (k == ${i}) { return ${read}; }`;
    })
    .join("\n");
  const helpers = `${spec.srcOf}
fn element(o: u32) -> u32 {
  let s = src_of(o);
  let k = s.x;
  let idx = u32(s.y);
${cases}
  return p_fill();
}`;
  const body =
    bits === 32
      ? `  if (gid >= p_total()) { return; }\n  out[gid] = element(gid);`
      : `  let first = gid * ${per}u;
  if (first >= p_total()) { return; }
  var word = 0u;
  for (var e = 0u; e < ${per}u; e++) {
    let o = first + e;
    if (o < p_total()) { word |= (element(o) & ${mask}) << (e * ${bits}u); }
  }
  out[gid] = word;`;
  return program({ label: spec.key, bindings: [...extra, ...inputs, { name: "out", type: "u32", access: "read_write" }], params, helpers, body });
}

/**
 * Runs an index map into a new buffer of `size` elements. `fill` is the bit pattern of the fill value
 * (in the dtype's own width); `buffers` are the extra bindings then the data inputs.
 */
export function runIndexMap(rt: Runtime, spec: IndexMapSpec, buffers: GpuData[], size: number, values: Record<string, number | readonly number[]>, fill = 0): GpuData {
  const out = rt.alloc(spec.dtype, size);
  const key = `indexmap:${spec.dtype === "f32" || spec.dtype === "i32" || spec.dtype === "bool" ? 32 : gpuBits(spec.dtype)}:${spec.key}`;
  const p = rt.program(key, () => makeProgram({ ...spec, key }));
  const per = 32 / gpuBits(spec.dtype);
  rt.run(p, [...buffers, out], { total: size, fill: fill >>> 0, ...values }, groupsFor(Math.ceil(size / per), p.workgroupSize));
  return out;
}
