/**
 * Cases beyond the core table that reach this backend's other shader paths: workgroup reductions
 * (rows longer than the serial limits), several GEMM tiles with ragged edges (vec4 and scalar loads,
 * both transposes, broadcast batches), attention over more than one query block and key tile, concat of
 * more inputs than one dispatch binds, and the packed storage dtypes (f16, bf16, FP8, u8) through the
 * index-map kernels. Each is compared with the reference backend (and fused ones with core's composed
 * fallback); gradients of a few are compared with the reference's.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { createReferenceBackend, encodeF16, fp8 } from "@r1ts/core";
import type { Backend } from "@r1ts/core";
import { bits, checkFusedAgainstComposed, checkGolden, checkGradientParity, checkParity, f32, i32, ints, isFusedKernel, kernelCase, randn, resolveOptions, uniform } from "@r1ts/core/testing";
import type { AnyKernelCase } from "@r1ts/core/testing";
import { createWebGPUBackend, webgpuUnavailableReason } from "../src/index.ts";

const unavailable = await webgpuUnavailableReason();
if (unavailable !== undefined && process.env.CI) throw new Error(`CI must run the webgpu tests, but: ${unavailable}`);

/** Random bit patterns of a storage dtype (NaN codes excluded for floats, so parity is exact). */
function codes(dtype: "f16" | "bf16" | "f8e4m3" | "f8e5m2" | "u8", shape: number[]) {
  const n = shape.reduce((p, q) => p * q, 1);
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = (i * 2654435761) >>> 0;
    values.push(dtype === "f16" || dtype === "bf16" ? (v >>> 7) & 0x3bff : (v >>> 9) & 0x77);
  }
  return bits(dtype, shape, values);
}

const CASES: AnyKernelCase[] = [
  // Reductions and row kernels past their serial limits (workgroup tree reductions).
  kernelCase({ name: "Sum: 3 rows of 1000 (workgroup)", kernel: "Sum", attrs: { axes: [1], keepDims: false }, inputs: [randn([3, 1000])], tolerance: { atol: 1e-3 } }),
  kernelCase({ name: "Sum: axes [0,2] of [40,3,9] (workgroup)", kernel: "Sum", attrs: { axes: [0, 2], keepDims: true }, inputs: [randn([40, 3, 9])], tolerance: { atol: 1e-4 } }),
  kernelCase({ name: "Max: 2 rows of 700 (workgroup)", kernel: "Max", attrs: { axes: [1], keepDims: false }, inputs: [randn([2, 700])] }),
  kernelCase({ name: "Max: i32 axis 0 of [300,2]", kernel: "Max", attrs: { axes: [0], keepDims: false }, inputs: [ints([300, 2], -1000, 1000)] }),
  kernelCase({ name: "ArgMax: axis 1 of [3,500] (workgroup)", kernel: "ArgMax", attrs: { axis: 1 }, inputs: [randn([3, 500])] }),
  kernelCase({ name: "ArgMax: ties over 400 (first index wins)", kernel: "ArgMax", attrs: { axis: 1 }, inputs: [ints([2, 400], 0, 3)] }),
  kernelCase({ name: "Softmax: [3,300] (workgroup)", kernel: "Softmax", attrs: {}, inputs: [randn([3, 300], 3)] }),
  kernelCase({ name: "LogSoftmax: [2,257] (workgroup)", kernel: "LogSoftmax", attrs: {}, inputs: [randn([2, 257], 3)] }),
  kernelCase({ name: "TopK: k=5 of [2,300]", kernel: "TopK", attrs: { k: 5 }, inputs: [randn([2, 300])] }),
  kernelCase({ name: "TopK: i32 ties, k=20 of [2,130]", kernel: "TopK", attrs: { k: 20 }, inputs: [ints([2, 130], 0, 10)] }),
  kernelCase({ name: "Cumsum: [3,200] axis 1 reverse", kernel: "Cumsum", attrs: { axis: 1, exclusive: false, reverse: true }, inputs: [randn([3, 200])], tolerance: { atol: 1e-4 } }),
  kernelCase({ name: "RMSNorm: [3,300] (workgroup)", kernel: "RMSNorm", attrs: { eps: 1e-6 }, inputs: [randn([3, 300]), uniform([300], 0.5, 1.5)] }),
  kernelCase({ name: "CrossEntropy: [4,500] (workgroup)", kernel: "CrossEntropy", attrs: {}, inputs: [randn([4, 500], 3), ints([4], 0, 500)] }),
  kernelCase({ name: "Multinomial: 300 classes", kernel: "Multinomial", attrs: { numSamples: 64, seed: 9 }, inputs: [randn([2, 300])], parityMismatchFraction: 0.02 }),
  // GEMM: tiles of 64 with ragged edges; vec4 loads (dims % 4 == 0) and scalar loads; transposes; batches.
  kernelCase({ name: "MatMul: [70,36] x [36,132] vec4", kernel: "MatMul", attrs: { transposeA: false, transposeB: false }, inputs: [randn([70, 36]), randn([36, 132])], tolerance: { atol: 1e-4 } }),
  kernelCase({ name: "MatMul: [65,33] x [33,67] scalar", kernel: "MatMul", attrs: { transposeA: false, transposeB: false }, inputs: [randn([65, 33]), randn([33, 67])], tolerance: { atol: 1e-4 } }),
  kernelCase({ name: "MatMul: A^T B^T [40,68]^T x [72,40]^T vec4", kernel: "MatMul", attrs: { transposeA: true, transposeB: true }, inputs: [randn([40, 68]), randn([72, 40])], tolerance: { atol: 1e-4 } }),
  kernelCase({ name: "MatMul: A B^T [2,1,70,20] x [3,66,20]", kernel: "MatMul", attrs: { transposeA: false, transposeB: true }, inputs: [randn([2, 1, 70, 20]), randn([3, 66, 20])], tolerance: { atol: 1e-4 } }),
  kernelCase({ name: "MatMul: A^T B [2,17,65] x [2,17,9] scalar", kernel: "MatMul", attrs: { transposeA: true, transposeB: false }, inputs: [randn([2, 17, 65]), randn([2, 17, 9])], tolerance: { atol: 1e-4 } }),
  // Attention: up to 8 queries split the keys across workgroups (decoding); more take the
  // query-block kernel: 70 queries (two blocks of 64), 100 keys (several tiles), GQA, causal with an offset.
  kernelCase({ name: "Attention: query blocks, causal S=T=12, batch 2, H=2 Hkv=1", kernel: "Attention", attrs: { scale: 0.4, causal: true, queryOffset: 0 }, inputs: [randn([2, 2, 12, 8]), randn([2, 1, 12, 8]), randn([2, 1, 12, 4])] }),
  kernelCase({ name: "Attention: decode split over 300 keys, H=8 Hkv=2, S=1", kernel: "Attention", attrs: { scale: 0.2, causal: true, queryOffset: 299 }, inputs: [randn([1, 8, 1, 32]), randn([1, 2, 300, 32]), randn([1, 2, 300, 16])], gradient: false }),
  kernelCase({ name: "Attention: causal S=70 T=100 H=4 Hkv=2 D=16", kernel: "Attention", attrs: { scale: 0.25, causal: true, queryOffset: 30 }, inputs: [randn([1, 4, 70, 16]), randn([1, 2, 100, 16]), randn([1, 2, 100, 8])], gradient: false }),
  kernelCase({ name: "Attention: non-causal S=3 T=90 D=40", kernel: "Attention", attrs: { scale: 0.15, causal: false, queryOffset: 0 }, inputs: [randn([2, 2, 3, 40]), randn([2, 1, 90, 40]), randn([2, 1, 90, 24])], gradient: false }),
  // Absorbed MLA at DeepSeek-V3's widths (Dc 512, Dr 64): decode over 70 cached tokens in several chunks;
  // a causal prefill whose 30 (head, query) rows span two row groups.
  kernelCase({ name: "MLAAttention: decode Dc=512 Dr=64 H=4 T=70", kernel: "MLAAttention", attrs: { scale: 0.072, causal: true, queryOffset: 69 }, inputs: [randn([2, 4, 1, 512]), randn([2, 4, 1, 64]), randn([2, 70, 512]), randn([2, 70, 64])], gradient: false }),
  kernelCase({ name: "MLAAttention: causal prefill H=3 S=10 T=12", kernel: "MLAAttention", attrs: { scale: 0.2, causal: true, queryOffset: 2 }, inputs: [randn([1, 3, 10, 64]), randn([1, 3, 10, 16]), randn([1, 12, 64]), randn([1, 12, 16])], gradient: false }),
  // Per-row bounds (keyStart, keyEnd, queryStart) on both attention paths: two query blocks where row 1's
  // first 30 queries see no key (output 0) and keys from 60 on are right padding; a non-causal block;
  // a split decode over 300 keys at a data column; a bounded MLA prefill over two row groups.
  kernelCase({ name: "Attention: bounds, query blocks S=70 T=80 H=4 Hkv=2", kernel: "Attention", attrs: { scale: 0.25, causal: true, queryOffset: 0 }, inputs: [randn([2, 4, 70, 16]), randn([2, 2, 80, 16]), randn([2, 2, 80, 8]), i32([2, 3], [5, 80, 10, 30, 60, 0])], gradient: false }),
  kernelCase({ name: "Attention: bounds, non-causal query block S=12 T=20", kernel: "Attention", attrs: { scale: 0.3, causal: false, queryOffset: 0 }, inputs: [randn([2, 2, 12, 8]), randn([2, 1, 20, 8]), randn([2, 1, 20, 4]), i32([2, 3], [3, 17, 0, 0, 20, 0])] }),
  kernelCase({ name: "Attention: bounds, decode split over 300 keys at column 250", kernel: "Attention", attrs: { scale: 0.2, causal: true, queryOffset: 0 }, inputs: [randn([2, 8, 1, 32]), randn([2, 2, 300, 32]), randn([2, 2, 300, 16]), i32([2, 3], [0, 300, 250, 100, 300, 250])], gradient: false }),
  kernelCase({ name: "MLAAttention: bounds, prefill H=3 S=10 T=12", kernel: "MLAAttention", attrs: { scale: 0.2, causal: true, queryOffset: 0 }, inputs: [randn([2, 3, 10, 64]), randn([2, 3, 10, 16]), randn([2, 12, 64]), randn([2, 12, 16]), i32([2, 3], [0, 12, 2, 4, 12, 2])], gradient: false }),
  // Concat of more inputs than one dispatch binds (chained), and of a packed dtype with odd sizes.
  kernelCase({ name: "Concat: 9 inputs axis 1", kernel: "Concat", attrs: { axis: 1 }, inputs: Array.from({ length: 9 }, (_, i) => randn([2, 1 + (i % 3), 3])) }),
  kernelCase({ name: "Concat: f16 [3,5] + [3,2] axis 1", kernel: "Concat", attrs: { axis: 1 }, inputs: [codes("f16", [3, 5]), codes("f16", [3, 2])] }),
  kernelCase({ name: "Concat: f8e4m3 8 inputs axis 0", kernel: "Concat", attrs: { axis: 0 }, inputs: Array.from({ length: 8 }, (_, i) => codes("f8e4m3", [1 + (i % 2), 3])) }),
  // Storage dtypes through the index maps (bits copied exactly, 2 or 4 per word).
  kernelCase({ name: "Transpose: f16 [3,5]", kernel: "Transpose", attrs: { perm: [1, 0] }, inputs: [codes("f16", [3, 5])] }),
  kernelCase({ name: "Transpose: bf16 [2,3,3] perm [2,0,1]", kernel: "Transpose", attrs: { perm: [2, 0, 1] }, inputs: [codes("bf16", [2, 3, 3])] }),
  kernelCase({ name: "Slice: f8e4m3 [5,7] interior", kernel: "Slice", attrs: { begin: [1, 2], size: [3, 5] }, inputs: [codes("f8e4m3", [5, 7])] }),
  kernelCase({ name: "Gather: u8 rows", kernel: "Gather", attrs: { axis: 0 }, inputs: [codes("u8", [4, 3]), i32([5], [3, 0, 3, 1, 2])] }),
  kernelCase({ name: "TakeAlongAxis: bf16 axis 1", kernel: "TakeAlongAxis", attrs: { axis: 1 }, inputs: [codes("bf16", [2, 5]), i32([2, 3], [4, 0, 4, 1, 1, 2])] }),
  kernelCase({ name: "Where: f8e4m3 broadcast", kernel: "Where", attrs: {}, inputs: [{ shape: [3, 1], dtype: "bool", values: [1, 0, 1] }, codes("f8e4m3", [3, 5]), codes("f8e4m3", [5])] }),
  kernelCase({ name: "Cast: f32 -> f8e4m3 of 9 values (partial word)", kernel: "Cast", attrs: { dtype: "f8e4m3" }, inputs: [randn([9], 100)] }),
  kernelCase({ name: "Cast: f32 -> f16 of 7 values including subnormals", kernel: "Cast", attrs: { dtype: "f16" }, inputs: [f32([7], [1e-5, -3e-7, 6e-8, 2.9e-8, 65519, -65521, 0.3333])] }),
  kernelCase({ name: "Cast: f32 -> u8", kernel: "Cast", attrs: { dtype: "u8" }, inputs: [f32([6], [0, 1.7, 255, 256, 300.5, -1.5])] }),
  kernelCase({ name: "Cast: u8 -> f32", kernel: "Cast", attrs: { dtype: "f32" }, inputs: [codes("u8", [7])] }),
];

/**
 * Pad of a storage dtype fills with the value encoded in that dtype (1.5 -> f16 0x3e00). The reference
 * backend fills its Uint16Array / Uint8Array with the raw number instead (1.5 -> bit pattern 1), so these
 * are checked against golden values, not parity.
 */
function padGolden(dtype: "f16" | "f8e5m2", shape: number[], paddings: [number, number][], value: number, fill: number): AnyKernelCase {
  const input = codes(dtype, shape);
  const src = input.values as number[];
  const outShape = shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out: number[] = [];
  const rank = shape.length;
  const total = outShape.reduce((p, q) => p * q, 1);
  for (let o = 0; o < total; o++) {
    let rem = o;
    let at = 0;
    let stride = 1;
    let inside = true;
    for (let d = rank - 1; d >= 0; d--) {
      const c = (rem % outShape[d]) - paddings[d][0];
      rem = Math.floor(rem / outShape[d]);
      if (c < 0 || c >= shape[d]) inside = false;
      at += c * stride;
      stride *= shape[d];
    }
    out.push(inside ? src[at] : fill);
  }
  return kernelCase({ name: `Pad: ${dtype} with ${value}`, kernel: "Pad", attrs: { paddings, value }, inputs: [input], expected: [{ shape: outShape, dtype, values: out }] });
}

const GOLDEN_CASES: AnyKernelCase[] = [
  padGolden("f16", [3, 3], [[1, 0], [2, 1]], 1.5, encodeF16(1.5)),
  padGolden("f8e5m2", [5], [[0, 3]], -2, fp8.encodeE5M2(-2)),
];

/** Gradients compared with the reference's on a few large cases. */
const GRADIENT_CASES = new Set(["Attention: query blocks, causal S=T=12, batch 2, H=2 Hkv=1", "Attention: bounds, non-causal query block S=12 T=20", "Softmax: [3,300] (workgroup)", "RMSNorm: [3,300] (workgroup)", "MatMul: [65,33] x [33,67] scalar", "CrossEntropy: [4,500] (workgroup)"]);

describe.skipIf(unavailable !== undefined)("webgpu shader paths beyond the core table", () => {
  let webgpu: Backend;
  const reference = createReferenceBackend();
  const unfused = createReferenceBackend({ fused: false });
  const options = resolveOptions();
  beforeAll(async () => {
    webgpu = await createWebGPUBackend();
  });
  afterAll(() => webgpu?.destroy?.());

  for (const c of GOLDEN_CASES) it(`${c.name}: golden values`, () => checkGolden(webgpu, c, options));
  for (const c of CASES) {
    it(`${c.name}: parity with the reference`, () => checkParity(webgpu, reference, c, options));
    if (isFusedKernel(c.kernel)) it(`${c.name}: parity with the composed fallback`, () => checkFusedAgainstComposed(webgpu, unfused, c, options));
    if (GRADIENT_CASES.has(c.name)) it(`${c.name}: gradients match the reference`, () => checkGradientParity(webgpu, reference, c, options));
  }
});
