/**
 * Row-wise fused kernels: RMSNorm and cross-entropy. A row of up to 64 elements is handled by one
 * thread; a longer one by a workgroup of 256 threads with tree reductions.
 */
import type { FusedAttrs, KernelImpl } from "@r1ts/core";
import { gpuDataOf } from "../../gpu/gpu-tensor.ts";
import { ParamLayout } from "../../gpu/params.ts";
import { groupsFor, program } from "../../gpu/program.ts";
import type { Runtime } from "../../gpu/runtime.ts";
import { sizeOfShape } from "../../shaders/common.ts";
import { treeReduce } from "../reduce.ts";

const SERIAL_LIMIT = 64;
const WG = 256;

export function rmsNormKernel(rt: Runtime): KernelImpl<FusedAttrs["RMSNorm"]> {
  return ([x, weight], { eps }) => {
    const d = weight.shape[0];
    const total = sizeOfShape(x.shape);
    const rows = d === 0 ? 0 : total / d;
    const out = rt.alloc("f32", total);
    const serial = d <= SERIAL_LIMIT;
    const key = `rmsnorm:${serial}`;
    // RMSNorm (Zhang & Sennrich 2019, eq. 4): y = x / sqrt(mean(x^2) + eps) * w
    const p = rt.program(key, () =>
      program({
        label: key,
        bindings: [{ name: "x", type: "f32", access: "read" }, { name: "w", type: "f32", access: "read" }, { name: "out", type: "f32", access: "read_write" }],
        params: new ParamLayout().u32("rows").u32("d").f32("eps"),
        workgroupSize: serial ? 64 : WG,
        helpers: serial ? "" : `var<workgroup> sh: array<f32, ${WG}>;`,
        body: serial
          ? `  if (gid >= p_rows()) { return; }
  let base = gid * p_d();
  var ss = 0.0;
  for (var j = 0u; j < p_d(); j++) { let v = x[base + j]; ss += v * v; }
  let r = inverseSqrt(ss / f32(p_d()) + p_eps());
  for (var j = 0u; j < p_d(); j++) { out[base + j] = x[base + j] * r * w[j]; }`
          : `  if (wid >= p_rows()) { return; }
  let base = wid * p_d();
  var ss = 0.0;
  for (var j = lid; j < p_d(); j += WG) { let v = x[base + j]; ss += v * v; }
  sh[lid] = ss;
${treeReduce((a, b) => `${a} + ${b}`)}
  let r = inverseSqrt(sh[0] / f32(p_d()) + p_eps());
  for (var j = lid; j < p_d(); j += WG) { out[base + j] = x[base + j] * r * w[j]; }`,
      }),
    );
    rt.run(p, [gpuDataOf(x), gpuDataOf(weight), out], { rows, d, eps }, serial ? groupsFor(rows, 64) : rows);
    return [out];
  };
}

export function crossEntropyKernel(rt: Runtime): KernelImpl<FusedAttrs["CrossEntropy"]> {
  return ([logits, labels]) => {
    const [n, v] = logits.shape;
    const out = rt.alloc("f32", n);
    const serial = v <= SERIAL_LIMIT;
    const key = `cross-entropy:${serial}`;
    // -log softmax(x)[label] = max + log(sum exp(x - max)) - x[label]; an out-of-range label gives NaN.
    const finish = `let label = labels[row];
  if (label < 0 || u32(label) >= p_v()) { out[row] = NAN(); } else { out[row] = m + log(s) - x[base + u32(label)]; }`;
    const p = rt.program(key, () =>
      program({
        label: key,
        bindings: [{ name: "x", type: "f32", access: "read" }, { name: "labels", type: "i32", access: "read" }, { name: "out", type: "f32", access: "read_write" }],
        params: new ParamLayout().u32("n").u32("v"),
        workgroupSize: serial ? 64 : WG,
        helpers: serial ? "" : `var<workgroup> sh: array<f32, ${WG}>;`,
        body: serial
          ? `  let row = gid;
  if (row >= p_n()) { return; }
  let base = row * p_v();
  var m = x[base];
  for (var j = 1u; j < p_v(); j++) { m = max(m, x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < p_v(); j++) { s += exp(x[base + j] - m); }
  ${finish}`
          : `  let row = wid;
  if (row >= p_n()) { return; }
  let base = row * p_v();
  var mloc = x[base];
  for (var j = lid; j < p_v(); j += WG) { mloc = max(mloc, x[base + j]); }
  sh[lid] = mloc;
${treeReduce((a, b) => `max(${a}, ${b})`)}
  let m = sh[0];
  workgroupBarrier();
  var sloc = 0.0;
  for (var j = lid; j < p_v(); j += WG) { sloc += exp(x[base + j] - m); }
  sh[lid] = sloc;
${treeReduce((a, b) => `${a} + ${b}`)}
  let s = sh[0];
  if (lid == 0u) {
  ${finish}
  }`,
      }),
    );
    rt.run(p, [gpuDataOf(logits), gpuDataOf(labels), out], { n, v }, serial ? groupsFor(n, 64) : n);
    return [out];
  };
}
