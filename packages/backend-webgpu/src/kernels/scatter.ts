/**
 * Scatter-add, put-along-axis-add and one-hot. Scatters are written as gathers: each output element
 * sums, in index order, the updates whose index points at it. No atomics, so the result is
 * deterministic (the same bits every run); the cost is (output size x updates along the axis).
 */
import type { KernelImpl, PrimitiveAttrs } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import { ParamLayout } from "../gpu/params.ts";
import { groupsFor, program } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";
import { wgslType } from "../gpu/storage.ts";
import { sizeOfShape } from "../shaders/common.ts";
import { around } from "./gather.ts";

/** Both scatters: `indexAt` is the WGSL index of the i32 index of update (outer, j, i). */
function scatterProgram(key: string, type: string, indexAt: string) {
  return program({
    label: key,
    bindings: [{ name: "updates", type, access: "read" }, { name: "indices", type: "i32", access: "read" }, { name: "out", type, access: "read_write" }],
    params: new ParamLayout().u32("total").u32("size").u32("m").u32("inner"),
    body: `  if (gid >= p_total()) { return; }
  let i = gid % p_inner();
  let row = i32((gid / p_inner()) % p_size());
  let outer = gid / (p_inner() * p_size());
  var acc = ${type}(0);
  for (var j = 0u; j < p_m(); j++) {
    let at = (outer * p_m() + j) * p_inner() + i;
    if (indices[${indexAt}] == row) { acc += updates[at]; }
  }
  out[gid] = acc;`,
  });
}

export function scatterAddKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["ScatterAdd"]> {
  return ([updates, indices], { axis, size }, [spec]) => {
    const type = wgslType(updates.dtype);
    const [, m, inner] = around(updates.shape, axis, indices.shape.length);
    const total = sizeOfShape(spec.shape);
    const out = rt.alloc(spec.dtype, total);
    const key = `scatter-add:${type}`;
    const p = rt.program(key, () => scatterProgram(key, type, "j"));
    rt.run(p, [gpuDataOf(updates), gpuDataOf(indices), out], { total, size, m, inner }, groupsFor(total, 64));
    return [out];
  };
}

export function putAlongAxisAddKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["PutAlongAxisAdd"]> {
  return ([updates, indices], { axis, size }, [spec]) => {
    const type = wgslType(updates.dtype);
    const [, m, inner] = around(updates.shape, axis);
    const total = sizeOfShape(spec.shape);
    const out = rt.alloc(spec.dtype, total);
    const key = `put-along-axis-add:${type}`;
    const p = rt.program(key, () => scatterProgram(key, type, "at"));
    rt.run(p, [gpuDataOf(updates), gpuDataOf(indices), out], { total, size, m, inner }, groupsFor(total, 64));
    return [out];
  };
}

export function oneHotKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["OneHot"]> {
  return ([indices], { depth }, [spec]) => {
    const total = sizeOfShape(spec.shape);
    const out = rt.alloc("f32", total);
    const p = rt.program("one-hot", () =>
      program({
        label: "one-hot",
        bindings: [{ name: "indices", type: "i32", access: "read" }, { name: "out", type: "f32", access: "read_write" }],
        params: new ParamLayout().u32("total").u32("depth"),
        body: `  if (gid >= p_total()) { return; }
  out[gid] = select(0.0, 1.0, indices[gid / p_depth()] == i32(gid % p_depth()));`,
      }),
    );
    rt.run(p, [gpuDataOf(indices), out], { total, depth }, groupsFor(total, 64));
    return [out];
  };
}
