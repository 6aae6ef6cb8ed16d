/**
 * Multinomial sampling from softmax(logits) with core's counter-based generator (the same uniforms as
 * every backend): sample s of row b inverts the CDF at counterUniform(seed, b * numSamples + s).
 * One thread per sample.
 */
import type { KernelImpl, PrimitiveAttrs } from "@r1ts/core";
import { gpuDataOf } from "../gpu/gpu-tensor.ts";
import { ParamLayout } from "../gpu/params.ts";
import { groupsFor, program } from "../gpu/program.ts";
import type { Runtime } from "../gpu/runtime.ts";

/** WGSL port of core's random/counter-hash.ts (mix32, counterBits, counterUniform). */
export const COUNTER_HASH = `
fn mix32(x0: u32) -> u32 {
  var x = x0;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}
fn counter_bits(seed: u32, n: u32) -> u32 { return mix32(mix32(seed) ^ mix32(n + 0x9e3779b9u)); }
fn counter_uniform(seed: u32, n: u32) -> f32 { return f32(counter_bits(seed, n) >> 8u) / 16777216.0; }
`;

export function multinomialKernel(rt: Runtime): KernelImpl<PrimitiveAttrs["Multinomial"]> {
  return ([logits], { numSamples, seed }, [spec]) => {
    const [rows, classes] = logits.shape;
    const total = rows * numSamples;
    const out = rt.alloc(spec.dtype, total);
    const p = rt.program("multinomial", () =>
      program({
        label: "multinomial",
        bindings: [{ name: "logits", type: "f32", access: "read" }, { name: "out", type: "i32", access: "read_write" }],
        params: new ParamLayout().u32("total").u32("samples").u32("classes").u32("seed"),
        helpers: COUNTER_HASH,
        body: `  if (gid >= p_total()) { return; }
  let base = (gid / p_samples()) * p_classes();
  var m = logits[base];
  for (var j = 1u; j < p_classes(); j++) { m = max(m, logits[base + j]); }
  var sum = 0.0;
  for (var j = 0u; j < p_classes(); j++) { sum += exp(logits[base + j] - m); }
  let u = counter_uniform(p_seed(), gid) * sum;
  var acc = 0.0;
  var chosen = p_classes() - 1u;
  for (var j = 0u; j < p_classes(); j++) {
    acc += exp(logits[base + j] - m);
    if (u < acc) { chosen = j; break; }
  }
  // Never a class of probability zero (rounding can fall through to the last class).
  loop {
    if (chosen == 0u || exp(logits[base + chosen] - m) != 0.0) { break; }
    chosen -= 1u;
  }
  out[gid] = i32(chosen);`,
      }),
    );
    rt.run(p, [gpuDataOf(logits), out], { total, samples: numSamples, classes, seed: seed >>> 0 }, groupsFor(total, 64));
    return [out];
  };
}
