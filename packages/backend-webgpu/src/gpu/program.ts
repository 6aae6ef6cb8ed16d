/**
 * A compute program: WGSL source with its storage bindings and parameter layout. `program()` writes
 * the common parts (bindings, parameter accessors, the entry point with a linear thread index over a
 * 2-D grid of workgroups, since one grid dimension holds at most 65535 workgroups).
 */
import type { ParamLayout } from "./params.ts";

export type Access = "read" | "read_write";

export interface Binding {
  name: string;
  /** WGSL element type: f32, i32, u32, vec4<f32>, f16, ... */
  type: string;
  access: Access;
}

export interface Program {
  /** Names the kernel in GPU error messages. */
  label: string;
  source: string;
  bindings: readonly Binding[];
  params: ParamLayout;
  workgroupSize: number;
}

export interface ProgramSpec {
  label: string;
  bindings: Binding[];
  params: ParamLayout;
  /** Threads per workgroup (1-D). */
  workgroupSize?: number;
  /** Functions and workgroup variables placed before the entry point. */
  helpers?: string;
  /**
   * Body of `main`. In scope: `wid` (linear workgroup id), `lid` (thread within the workgroup),
   * `gid` (linear thread id = wid * WG + lid), and the constant `WG`.
   */
  body: string;
  /** Needs `enable f16;`. */
  f16?: boolean;
}

export function program({ label, bindings, params, workgroupSize = 64, helpers = "", body, f16 = false }: ProgramSpec): Program {
  const decls = bindings.map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${b.type}>;`);
  const source = [
    f16 ? "enable f16;" : "",
    ...decls,
    params.wgsl(bindings.length),
    `const WG: u32 = ${workgroupSize}u;`,
    helpers,
    `@compute @workgroup_size(${workgroupSize})`,
    `fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {`,
    `  let wid = wg.x + wg.y * nwg.x;`,
    `  let gid = wid * WG + lid;`,
    body,
    `}`,
  ].join("\n");
  return { label, source, bindings, params, workgroupSize };
}

/** Workgroups needed for one thread per item. */
export function groupsFor(items: number, workgroupSize: number): number {
  return Math.ceil(items / workgroupSize);
}
