/**
 * Activation quantisation on the GPU (DeepSeek-V3 §3.3.2, docs/fp8.md): x [M, K] f32 -> E4M3 codes
 * with one scale per 1 x 128 tile, s = max(amax, 1e-4) / 448 and q = e4m3(x / s), the steps of core's
 * `quantizeActivations`. Pass 1 finds each tile's scale (one thread per tile); pass 2 writes the codes,
 * one u32 word (four codes) per thread, so no two threads share a word.
 *
 * Bit-exact with core when the GPU's f32 division is correctly rounded (lavapipe's is; WGSL only
 * promises 2.5 ULP): otherwise a scale may differ by an ulp and a code at a rounding boundary by one step.
 */
import { FP8_AMAX_FLOOR, FP8_BLOCK, QuantizationError, fp8 } from "@r1ts/core";
import type { Tensor } from "@r1ts/core";
import type { WebGPUBackend } from "./backend.ts";
import { adoptTensor } from "./adopt-tensor.ts";
import type { Fp8Operand } from "./fp8-matmul.ts";
import { gpuDataOf } from "./gpu/gpu-tensor.ts";
import { ParamLayout } from "./gpu/params.ts";
import { groupsFor, program } from "./gpu/program.ts";
import { MINIFLOAT_WGSL } from "./shaders/minifloat.ts";

/** Quantises activations x [M, K] (f32, on `backend`) into 1 x 128 tiles of E4M3 codes and f32 scales. */
export function quantizeActivationsGpu(backend: WebGPUBackend, x: Tensor): Fp8Operand {
  if (x.dtype !== "f32" || x.rank !== 2 || x.backend !== backend) throw new QuantizationError(`quantizeActivationsGpu: x must be an f32 [rows, cols] tensor on this webgpu backend, got ${x.dtype} [${x.shape.join(", ")}]`);
  const [m, k] = x.shape;
  const slices = Math.ceil(k / FP8_BLOCK);
  const rt = backend.runtime;
  const scales = rt.alloc("f32", m * slices);
  const codes = rt.alloc("f8e4m3", m * k);
  const scaleProgram = rt.program("fp8-activation-scales", () =>
    program({
      label: "fp8-activation-scales",
      bindings: [{ name: "x", type: "f32", access: "read" }, { name: "scales", type: "f32", access: "read_write" }],
      params: new ParamLayout().u32("tiles").u32("k").u32("slices").f32("floor").f32("max"),
      body: `  if (gid >= p_tiles()) { return; }
  let row = gid / p_slices();
  let k0 = (gid % p_slices()) * ${FP8_BLOCK}u;
  let k1 = min(p_k(), k0 + ${FP8_BLOCK}u);
  var amax = 0.0;
  for (var kk = k0; kk < k1; kk++) { amax = max(amax, abs(x[row * p_k() + kk])); }
  scales[gid] = max(amax, p_floor()) / p_max();`,
    }),
  );
  rt.run(scaleProgram, [gpuDataOf(x), scales], { tiles: m * slices, k, slices, floor: FP8_AMAX_FLOOR, max: fp8.E4M3_MAX }, groupsFor(m * slices, 64));
  const words = Math.ceil((m * k) / 4);
  const codeProgram = rt.program("fp8-activation-codes", () =>
    program({
      label: "fp8-activation-codes",
      bindings: [{ name: "x", type: "f32", access: "read" }, { name: "scales", type: "f32", access: "read" }, { name: "codes", type: "u32", access: "read_write" }],
      params: new ParamLayout().u32("total").u32("k").u32("slices"),
      helpers: MINIFLOAT_WGSL,
      body: `  let first = gid * 4u;
  if (first >= p_total()) { return; }
  var word = 0u;
  for (var e = 0u; e < 4u; e++) {
    let i = first + e;
    if (i < p_total()) {
      let s = scales[(i / p_k()) * p_slices() + (i % p_k()) / ${FP8_BLOCK}u];
      word |= f32_to_e4m3_bits(bitcast<u32>(x[i] / s)) << (e * 8u);
    }
  }
  codes[gid] = word;`,
    }),
  );
  rt.run(codeProgram, [gpuDataOf(x), scales, codes], { total: m * k, k, slices }, groupsFor(words, 64));
  return { codes: adoptTensor(backend, codes, [m, k], "f8e4m3"), scales: adoptTensor(backend, scales, [m, slices], "f32"), blockRows: 1 };
}
