/**
 * FP8 GEMM on the webgpu backend: C = A B^T on block-quantised E4M3 operands (docs/fp8.md), the WGSL
 * port of core's reference `fp8Gemm`. Operands are tensors: E4M3 codes (dtype f8e4m3, packed four per
 * u32 on the GPU) and f32 scales; `uploadBlockQuantized` makes them from core's `quantizeActivations` /
 * `quantizeWeights`.
 */
import { BackendError, DEFAULT_ACCUMULATOR_MANTISSA_BITS, DEFAULT_PROMOTION_INTERVAL, FP8_BLOCK, QuantizationError, engine } from "@r1ts/core";
import type { BlockQuantized, Fp8GemmOptions, Tensor } from "@r1ts/core";
import { adoptTensor } from "./adopt-tensor.ts";
import type { WebGPUBackend } from "./backend.ts";
import { gpuDataOf } from "./gpu/gpu-tensor.ts";
import { FP8_TILE, fp8GemmProgram } from "./shaders/fp8-gemm.ts";

/** An E4M3 matrix [rows, K] on the GPU with its block scales [ceil(rows / blockRows), ceil(K / 128)]. */
export interface Fp8Operand {
  codes: Tensor;
  scales: Tensor;
  /** 1 for activations (1 x 128 tiles), 128 for weights (128 x 128 blocks). */
  blockRows: number;
}

/** Uploads core's block-quantised matrix to `backend`. */
export function uploadBlockQuantized(backend: WebGPUBackend, q: BlockQuantized): Fp8Operand {
  if (q.blockCols !== FP8_BLOCK) throw new QuantizationError(`uploadBlockQuantized: blocks must be ${FP8_BLOCK} wide along K, got ${q.blockCols}`);
  const codes = engine.makeTensor(q.codes, [q.rows, q.cols], "f8e4m3", backend);
  const scales = engine.makeTensor(q.scales, [Math.ceil(q.rows / q.blockRows), Math.ceil(q.cols / q.blockCols)], "f32", backend);
  return { codes, scales, blockRows: q.blockRows };
}

function check(name: string, x: Fp8Operand, k: number, backend: WebGPUBackend): void {
  const { codes, scales, blockRows } = x;
  if (codes.backend !== backend || scales.backend !== backend) throw new BackendError(`fp8Matmul: ${name} must live on the webgpu backend it runs on`);
  if (codes.dtype !== "f8e4m3" || codes.rank !== 2) throw new QuantizationError(`fp8Matmul: ${name}.codes must be f8e4m3 [rows, K], got ${codes.dtype} [${codes.shape.join(", ")}]`);
  const expected = [Math.ceil(codes.shape[0] / blockRows), Math.ceil(k / FP8_BLOCK)];
  if (scales.dtype !== "f32" || scales.rank !== 2 || scales.shape[0] !== expected[0] || scales.shape[1] !== expected[1]) {
    throw new QuantizationError(`fp8Matmul: ${name}.scales must be f32 [${expected.join(", ")}] for blocks of ${blockRows} x ${FP8_BLOCK}, got ${scales.dtype} [${scales.shape.join(", ")}]`);
  }
}

/** C [M, N] f32 = A [M, K] B [N, K]^T, the steps of core's fp8Gemm (same options, same defaults). */
export function fp8Matmul(backend: WebGPUBackend, a: Fp8Operand, b: Fp8Operand, options: Fp8GemmOptions = {}): Tensor {
  const interval = options.promotionInterval ?? DEFAULT_PROMOTION_INTERVAL;
  const bits = options.accumulatorMantissaBits ?? DEFAULT_ACCUMULATOR_MANTISSA_BITS;
  const [m, k] = a.codes.shape;
  const n = b.codes.shape[0];
  if (b.codes.shape[1] !== k) throw new QuantizationError(`fp8Matmul: A is [${m}, ${k}] and B is [${n}, ${b.codes.shape[1]}]: both need the same K (C = A B^T)`);
  check("A", a, k, backend);
  check("B", b, k, backend);
  if (a.blockRows !== 1) throw new QuantizationError(`fp8Matmul: A must be quantised in 1 x ${FP8_BLOCK} tiles (blockRows 1), got ${a.blockRows}`);
  if (interval !== "never" && !(Number.isSafeInteger(interval) && interval > 0 && FP8_BLOCK % interval === 0)) {
    throw new QuantizationError(`fp8Matmul: promotionInterval must be a divisor of ${FP8_BLOCK} or "never", got ${JSON.stringify(interval)}`);
  }
  if (!(Number.isSafeInteger(bits) && bits >= 1 && bits <= 23)) throw new QuantizationError(`fp8Matmul: accumulatorMantissaBits must be an integer in [1, 23], got ${bits}`);
  const rt = backend.runtime;
  const out = rt.alloc("f32", m * n);
  if (m * n > 0) {
    const variant = { aligned: k % 4 === 0, never: interval === "never" };
    const key = `fp8-gemm:${variant.aligned}:${variant.never}`;
    const p = rt.program(key, () => fp8GemmProgram(variant, key));
    const tilesN = Math.ceil(n / FP8_TILE);
    rt.run(
      p,
      [gpuDataOf(a.codes), gpuDataOf(a.scales), gpuDataOf(b.codes), gpuDataOf(b.scales), out],
      { m, n, k, slices: Math.ceil(k / FP8_BLOCK), tilesN, blockRowsB: b.blockRows, interval: interval === "never" ? 1 : interval, keepMask: (0xffffffff << (23 - bits)) >>> 0, zero: 0 },
      Math.ceil(m / FP8_TILE) * tilesN,
    );
  }
  return adoptTensor(backend, out, [m, n], "f32");
}
