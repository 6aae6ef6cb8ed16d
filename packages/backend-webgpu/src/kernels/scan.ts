/** Cumulative sum along an axis (one thread per line, in order) and top-k (one workgroup per row). */
import type { KernelImpl, PrimitiveAttrs } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import { ParamLayout } from "../gpu/params.ts";
import { groupsFor, program } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { wgslType } from "../gpu/storage.ts";
import { FLOAT_HELPERS, sizeOfShape } from "../shaders/common.ts";
import { around } from "./gather.ts";

export function cumsumKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["Cumsum"]> {
  return ([x], { axis, exclusive, reverse }, [spec]) => {
    const type = wgslType(x.dtype);
    const [outer, n, inner] = around(x.shape, axis);
    const out = rt.alloc(spec.dtype, sizeOfShape(x.shape));
    const key = `cumsum:${type}:${exclusive}:${reverse}`;
    const p = rt.program(key, () =>
      program({
        label: key,
        bindings: [{ name: "x", type, access: "read" }, { name: "out", type, access: "read_write" }],
        params: new ParamLayout().u32("lines").u32("n").u32("inner"),
        body: `  if (gid >= p_lines()) { return; }
  let base = (gid / p_inner()) * p_n() * p_inner() + gid % p_inner();
  var acc = ${type}(0);
  for (var step = 0u; step < p_n(); step++) {
    let j = ${reverse ? "p_n() - 1u - step" : "step"};
    let at = base + j * p_inner();
    ${exclusive ? "out[at] = acc;\n    acc += x[at];" : "acc += x[at];\n    out[at] = acc;"}
  }`,
      }),
    );
    rt.run(p, [gpuDataOf(x), out], { lines: outer * inner, n, inner }, groupsFor(outer * inner, 64));
    return [out];
  };
}

const TOPK_WG = 64;

/**
 * Top-k per row: k rounds; round r finds the first element, in the order (value descending, NaN first,
 * ties by lower index), that comes after the one found in round r - 1. A strict total order, so no
 * element is picked twice and nothing needs marking.
 */
export function topKKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["TopK"]> {
  return ([x], { k }, [valuesSpec]) => {
    const type = wgslType(x.dtype);
    const n = x.shape[x.shape.length - 1];
    const rows = n === 0 ? 0 : sizeOfShape(x.shape) / n;
    const values = rt.alloc(valuesSpec.dtype, rows * k);
    const indices = rt.alloc("i32", rows * k);
    const key = `topk:${type}`;
    const nanCheck = type === "f32" ? "let na = is_nan(va); let nb = is_nan(vb); if (na != nb) { return na; } if (na) { return ia < ib; }" : "";
    const p = rt.program(key, () =>
      program({
        label: key,
        bindings: [{ name: "x", type, access: "read" }, { name: "vals", type, access: "read_write" }, { name: "idxs", type: "i32", access: "read_write" }],
        params: new ParamLayout().u32("rows").u32("n").u32("k"),
        workgroupSize: TOPK_WG,
        helpers: `${FLOAT_HELPERS}
const NONE: u32 = 0xffffffffu;
// Whether element (va, ia) comes before (vb, ib) in the top-k order.
fn before(va: ${type}, ia: u32, vb: ${type}, ib: u32) -> bool {
  ${nanCheck}
  if (va != vb) { return va > vb; }
  return ia < ib;
}
var<workgroup> shv: array<${type}, ${TOPK_WG}>;
var<workgroup> shi: array<u32, ${TOPK_WG}>;
var<workgroup> prev: u32;`,
        body: `  if (wid >= p_rows()) { return; }
  let base = wid * p_n();
  for (var r = 0u; r < p_k(); r++) {
    let pi = workgroupUniformLoad(&prev);
    var bi = NONE;
    var bv = x[base];
    for (var j = lid; j < p_n(); j += WG) {
      let v = x[base + j];
      if (r > 0u && !before(x[base + pi], pi, v, j)) { continue; }
      if (bi == NONE || before(v, j, bv, bi)) { bv = v; bi = j; }
    }
    shv[lid] = bv;
    shi[lid] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
      if (lid < s) {
        let oi = shi[lid + s];
        if (oi != NONE && (shi[lid] == NONE || before(shv[lid + s], oi, shv[lid], shi[lid]))) { shv[lid] = shv[lid + s]; shi[lid] = oi; }
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      vals[wid * p_k() + r] = shv[0];
      idxs[wid * p_k() + r] = i32(shi[0]);
      prev = shi[0];
    }
    workgroupBarrier();
  }`,
      }),
    );
    rt.run(p, [gpuDataOf(x), values, indices], { rows, n, k }, k === 0 ? 0 : rows);
    return [values, indices];
  };
}
