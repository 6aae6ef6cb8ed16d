/** Elementwise fused kernels: rotary embedding (one thread per rotated pair) and the AdamW update. */
import type { FusedAttrs, KernelImpl } from "@r1ts/core";
import { gpuDataOf } from "../../gpu/gpu-tensor.ts";
import { ParamLayout } from "../../gpu/params.ts";
import { groupsFor, program } from "../../gpu/program.ts";
import type { Runtime } from "../../gpu/runtime.ts";
import { sizeOfShape } from "../../shaders/common.ts";

export function ropeKernel(rt: Runtime): KernelImpl<FusedAttrs["RoPE"]> {
  return ([x, cos, sin], { interleaved }) => {
    const [b, s, h, d] = x.shape;
    const half = d / 2;
    const pairs = b * s * h * half;
    const out = rt.alloc("f32", sizeOfShape(x.shape));
    const key = `rope:${interleaved}`;
    // RoFormer eq. 34: (a, b) -> (a cos - b sin, a sin + b cos); pairs (2i, 2i+1) or (i, i + D/2).
    const p = rt.program(key, () =>
      program({
        label: key,
        bindings: [{ name: "x", type: "f32", access: "read" }, { name: "cs", type: "f32", access: "read" }, { name: "sn", type: "f32", access: "read" }, { name: "out", type: "f32", access: "read_write" }],
        params: new ParamLayout().u32("pairs").u32("half").u32("heads").u32("seq"),
        body: `  if (gid >= p_pairs()) { return; }
  let i = gid % p_half();
  let vec = gid / p_half();
  let pos = (vec / p_heads()) % p_seq();
  let base = vec * p_half() * 2u;
  let ia = ${interleaved ? "base + 2u * i" : "base + i"};
  let ib = ${interleaved ? "ia + 1u" : "ia + p_half()"};
  let c = cs[pos * p_half() + i];
  let sv = sn[pos * p_half() + i];
  let a = x[ia];
  let bb = x[ib];
  out[ia] = a * c - bb * sv;
  out[ib] = a * sv + bb * c;`,
      }),
    );
    rt.run(p, [gpuDataOf(x), gpuDataOf(cos), gpuDataOf(sin), out], { pairs, half, heads: h, seq: s }, groupsFor(pairs, 64));
    return [out];
  };
}

export function adamwKernel(rt: Runtime): KernelImpl<FusedAttrs["AdamW"]> {
  return ([param, grad, m, v], { lr, beta1, beta2, eps, weightDecay, step }) => {
    const n = sizeOfShape(param.shape);
    const outs = [rt.alloc("f32", n), rt.alloc("f32", n), rt.alloc("f32", n)];
    // AdamW (Loshchilov & Hutter, Algorithm 2): moments, bias correction, decoupled weight decay.
    const p = rt.program("adamw", () =>
      program({
        label: "adamw",
        bindings: [
          { name: "p", type: "f32", access: "read" },
          { name: "g", type: "f32", access: "read" },
          { name: "m", type: "f32", access: "read" },
          { name: "v", type: "f32", access: "read" },
          { name: "p1", type: "f32", access: "read_write" },
          { name: "m1", type: "f32", access: "read_write" },
          { name: "v1", type: "f32", access: "read_write" },
        ],
        params: new ParamLayout().u32("n").f32("lr").f32("beta1").f32("beta2").f32("eps").f32("wd").f32("c1").f32("c2"),
        body: `  if (gid >= p_n()) { return; }
  let gi = g[gid];
  let mi = p_beta1() * m[gid] + (1.0 - p_beta1()) * gi;
  let vi = p_beta2() * v[gid] + (1.0 - p_beta2()) * gi * gi;
  let update = (mi / p_c1()) / (sqrt(vi / p_c2()) + p_eps());
  p1[gid] = p[gid] - p_lr() * (update + p_wd() * p[gid]);
  m1[gid] = mi;
  v1[gid] = vi;`,
      }),
    );
    rt.run(p, [gpuDataOf(param), gpuDataOf(grad), gpuDataOf(m), gpuDataOf(v), ...outs], { n, lr, beta1, beta2, eps, wd: weightDecay, c1: 1 - Math.pow(beta1, step), c2: 1 - Math.pow(beta2, step) }, groupsFor(n, 64));
    return outs;
  };
}
