/**
 * Softmax and log-softmax along the last axis: max-subtracted (no overflow at logits of 1000).
 * Short rows: one thread per row. Long rows: one workgroup per row, max and sum by tree reductions.
 */
import type { KernelImpl } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import { ParamLayout } from "../gpu/params.ts";
import { groupsFor, program } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { sizeOfShape } from "../shaders/common.ts";
import { treeReduce } from "./reduce.ts";

const SERIAL_LIMIT = 64;
const WG = 256;

export function softmaxKernel(rt: Runtime, log: boolean): KernelImpl<Record<string, never>> {
  return ([x], _attrs, [spec]) => {
    const n = x.shape[x.shape.length - 1];
    const total = sizeOfShape(x.shape);
    const rows = n === 0 ? 0 : total / n;
    const out = rt.alloc("f32", total);
    const serial = n <= SERIAL_LIMIT;
    const key = `softmax:${log}:${serial}`;
    // y = exp(x - m) / s, or log-softmax x - (m + log s)
    const write = log ? "x[base + j] - (m + log(s))" : "exp(x[base + j] - m) / s";
    const p = rt.program(key, () => {
      const params = new ParamLayout().u32("rows").u32("n");
      const body = serial
        ? `  if (gid >= p_rows()) { return; }
  let base = gid * p_n();
  var m = x[base];
  for (var j = 1u; j < p_n(); j++) { m = max(m, x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < p_n(); j++) { s += exp(x[base + j] - m); }
  for (var j = 0u; j < p_n(); j++) { out[base + j] = ${write}; }`
        : `  if (wid >= p_rows()) { return; }
  let base = wid * p_n();
  var mloc = x[base];
  for (var j = lid; j < p_n(); j += WG) { mloc = max(mloc, x[base + j]); }
  sh[lid] = mloc;
${treeReduce((a, b) => `max(${a}, ${b})`)}
  let m = sh[0];
  workgroupBarrier();
  var sloc = 0.0;
  for (var j = lid; j < p_n(); j += WG) { sloc += exp(x[base + j] - m); }
  sh[lid] = sloc;
${treeReduce((a, b) => `${a} + ${b}`)}
  let s = sh[0];
  for (var j = lid; j < p_n(); j += WG) { out[base + j] = ${write}; }`;
      return program({
        label: key,
        bindings: [{ name: "x", type: "f32", access: "read" }, { name: "out", type: "f32", access: "read_write" }],
        params,
        workgroupSize: serial ? 64 : WG,
        helpers: serial ? "" : `var<workgroup> sh: array<f32, ${WG}>;`,
        body,
      });
    });
    rt.run(p, [gpuDataOf(x), out], { rows, n }, serial ? groupsFor(rows, 64) : rows);
    void spec;
    return [out];
  };
}
