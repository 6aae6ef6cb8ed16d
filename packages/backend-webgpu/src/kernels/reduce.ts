/**
 * Reductions: sum and max over any axes, argmax along one axis. A short reduction runs one thread per
 * output element; a long one one workgroup per output element with a tree reduction in workgroup memory.
 */
import type { KernelImpl, PrimitiveAttrs } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import { ParamLayout } from "../gpu/params.ts";
import { groupsFor, program } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { wgslType } from "../gpu/storage.ts";
import { FLOAT_HELPERS, sizeOfShape, stridedOffset, stridesOf } from "../shaders/common.ts";
import { around } from "./gather.ts";

/** Reductions longer than this use a workgroup per output element. */
const SERIAL_LIMIT = 128;
const TREE_WG = 256;

/** `combine(acc, v)` of each reduction, as WGSL expressions. */
function combineOf(kind: "sum" | "max", type: string): string {
  if (kind === "sum") return "acc + v";
  return type === "f32" ? "select(acc, v, v > acc || is_nan(v))" : "max(acc, v)";
}

/** WGSL: a tree reduction of `sh` (workgroup array of TREE_WG) with `combine(a, b)`; result in sh[0]. */
export function treeReduce(combine: (a: string, b: string) => string, shared = "sh"): string {
  return `  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { ${shared}[lid] = ${combine(`${shared}[lid]`, `${shared}[lid + s]`)}; }
    workgroupBarrier();
  }`;
}

export function reduceKernel(rt: Runtime, kind: "sum" | "max"): KernelImpl<PrimitiveAttrs["Sum"]> {
  return ([x], { axes }, [spec]) => {
    const type = wgslType(x.dtype);
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const reduced = [...axes];
    const strides = stridesOf(x.shape);
    const keptShape = kept.map((i) => x.shape[i]);
    const redShape = reduced.map((i) => x.shape[i]);
    const outputs = sizeOfShape(keptShape);
    const count = sizeOfShape(redShape);
    const out = rt.alloc(spec.dtype, outputs);
    const serial = count <= SERIAL_LIMIT;
    const kr = kept.length;
    const rr = reduced.length;
    const key = `reduce:${kind}:${type}:${kr}:${rr}:${serial}`;
    const combine = combineOf(kind, type);
    const init = kind === "sum" ? `${type}(0)` : "x[base]";
    const p = rt.program(key, () => {
      const params = new ParamLayout().u32("total").u32("count").u32s("keptShape", kr).u32s("keptStrides", kr).u32s("redShape", rr).u32s("redStrides", rr);
      const helpers = `${FLOAT_HELPERS}
${stridedOffset("off_kept", kr, "keptShape", "keptStrides")}
${stridedOffset("off_red", rr, "redShape", "redStrides")}
${serial ? "" : `var<workgroup> sh: array<${type}, ${TREE_WG}>;`}`;
      const body = serial
        ? `  if (gid >= p_total()) { return; }
  let base = off_kept(gid);
  var acc = ${init};
  for (var r = 0u; r < p_count(); r++) { let v = x[base + off_red(r)]; acc = ${combine}; }
  out[gid] = acc;`
        : `  if (wid >= p_total()) { return; }
  let base = off_kept(wid);
  var acc = ${init};
  for (var r = lid; r < p_count(); r += WG) { let v = x[base + off_red(r)]; acc = ${combine}; }
  sh[lid] = acc;
${treeReduce((a, b) => `comb(${a}, ${b})`)}
  if (lid == 0u) { out[wid] = sh[0]; }`;
      return program({
        label: key,
        bindings: [{ name: "x", type, access: "read" }, { name: "out", type, access: "read_write" }],
        params,
        workgroupSize: serial ? 64 : TREE_WG,
        helpers: `${helpers}\nfn comb(acc: ${type}, v: ${type}) -> ${type} { return ${combine}; }`,
        body,
      });
    });
    rt.run(
      p,
      [gpuDataOf(x), out],
      { total: outputs, count, keptShape, keptStrides: kept.map((i) => strides[i]), redShape, redStrides: reduced.map((i) => strides[i]) },
      serial ? groupsFor(outputs, p.workgroupSize) : outputs,
    );
    return [out];
  };
}

export function argMaxKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["ArgMax"]> {
  return ([x], { axis }, [spec]) => {
    const type = wgslType(x.dtype);
    const [, n, inner] = around(x.shape, axis);
    const outputs = sizeOfShape(spec.shape);
    const out = rt.alloc("i32", outputs);
    const serial = n <= SERIAL_LIMIT;
    const key = `argmax:${type}:${serial}`;
    const p = rt.program(key, () => {
      const params = new ParamLayout().u32("total").u32("n").u32("inner");
      // (value, index) pairs: b wins if strictly greater, or equal with a lower index (first maximum).
      const helpers = `
fn better(va: ${type}, ia: u32, vb: ${type}, ib: u32) -> bool { return vb > va || (vb == va && ib < ia); }
${serial ? "" : `var<workgroup> shv: array<${type}, ${TREE_WG}>;\nvar<workgroup> shi: array<u32, ${TREE_WG}>;`}`;
      const start = `let base = (o / p_inner()) * p_n() * p_inner() + o % p_inner();`;
      const body = serial
        ? `  let o = gid;
  if (o >= p_total()) { return; }
  ${start}
  var bv = x[base];
  var bi = 0u;
  for (var j = 1u; j < p_n(); j++) { let v = x[base + j * p_inner()]; if (v > bv) { bv = v; bi = j; } }
  out[o] = i32(bi);`
        : `  let o = wid;
  if (o >= p_total()) { return; }
  ${start}
  var bv = x[base];
  var bi = 0u;
  for (var j = lid; j < p_n(); j += WG) { let v = x[base + j * p_inner()]; if (better(bv, bi, v, j)) { bv = v; bi = j; } }
  shv[lid] = bv;
  shi[lid] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s && better(shv[lid], shi[lid], shv[lid + s], shi[lid + s])) { shv[lid] = shv[lid + s]; shi[lid] = shi[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[o] = i32(shi[0]); }`;
      return program({ label: key, bindings: [{ name: "x", type, access: "read" }, { name: "out", type: "i32", access: "read_write" }], params, workgroupSize: serial ? 64 : TREE_WG, helpers, body });
    });
    rt.run(p, [gpuDataOf(x), out], { total: outputs, n, inner }, serial ? groupsFor(outputs, p.workgroupSize) : outputs);
    return [out];
  };
}
