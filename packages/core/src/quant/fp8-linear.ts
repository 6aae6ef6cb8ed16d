/**
 * FP8 training of linear layers (DeepSeek-V3 §3.3, "FP8 Training"; docs/fp8.md): the forward GEMM
 * runs on block-quantised inputs (activations in 1 x 128 tiles, weights in 128 x 128 blocks, E4M3 with
 * one f32 scale per block), the master weights stay f32, and the backward GEMMs run in full precision
 * on the f32 activations and master weights (a straight-through estimator for the quantisation).
 *
 * Quantisation is written with ops (amax, scale, cast to f8e4m3 and back), so it runs on every backend; on
 * the reference backend it equals `quantizeBlocks` + `dequantizeBlocks` bit for bit. The products of the
 * dequantised values are accumulated in f32 by `matmul` (promotion at every product), or, with
 * `accumulator`, by the reference FP8 GEMM's limited-precision accumulator (host backends only).
 */
import { ShapeError } from "../errors.ts";
import { abs, cast, div, maximum, mul, sub, stopGradient, add } from "../ops/elementwise.ts";
import { pad, reshape, slice } from "../ops/layout.ts";
import { linear } from "../ops/matmul.ts";
import { max } from "../ops/reduce.ts";
import { noGrad, tidy } from "../memory.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { E4M3_MAX } from "./fp8.ts";
import { FP8_AMAX_FLOOR, FP8_BLOCK, type BlockQuantized } from "./block-quant.ts";
import { type Fp8GemmOptions, fp8Gemm } from "./fp8-gemm.ts";

export interface Fp8LinearOptions {
  /** Emulate the tensor core's limited accumulator with the reference FP8 GEMM (host backends only). */
  accumulator?: Fp8GemmOptions;
}

/** decode(encode(x / s)) * s with s = max(amax, 1e-4) / 448 per block of a [rows, cols] matrix (no gradient). */
export function fp8QuantDequant(x: Tensor, blockRows: number, blockCols = FP8_BLOCK): Tensor {
  if (x.rank !== 2) throw new ShapeError(`fp8QuantDequant: x must be a matrix, got ${formatShape(x.shape)}`);
  return noGrad(() =>
    tidy(() => {
      const { values, scales, rowsP, colsP } = quantizeTensor(x, blockRows, blockCols);
      const deq = reshape(mul(cast(values, "f32"), scales), [rowsP, colsP]);
      return rowsP === x.shape[0] && colsP === x.shape[1] ? deq : slice(deq, [0, 0], [x.shape[0], x.shape[1]]);
    }),
  );
}

/** Blocks of x padded to whole blocks: E4M3 values [R, br, C, bc] and their scales [R, 1, C, 1]. */
function quantizeTensor(x: Tensor, blockRows: number, blockCols: number) {
  const [rows, cols] = x.shape;
  const rowsP = Math.ceil(rows / blockRows) * blockRows;
  const colsP = Math.ceil(cols / blockCols) * blockCols;
  const padded = rowsP === rows && colsP === cols ? x : pad(x, [[0, rowsP - rows], [0, colsP - cols]]);
  const blocks = reshape(padded, [rowsP / blockRows, blockRows, colsP / blockCols, blockCols]);
  const amax = max(abs(blocks), [1, 3], { keepDims: true });
  const scales = div(maximum(amax, FP8_AMAX_FLOOR), E4M3_MAX);
  const values = cast(div(blocks, scales), "f8e4m3");
  return { values, scales, rowsP, colsP };
}

/**
 * y = x W^T (+ b) with the forward GEMM on FP8 block-quantised x and W, and full-precision gradients:
 * dL/dx = dy W, dL/dW = dy^T x (straight through the quantisation). x [..., in], W [out, in].
 */
export function fp8Linear(x: Tensor, weight: Tensor, bias?: Tensor, options: Fp8LinearOptions = {}): Tensor {
  if (weight.rank !== 2 || x.shape[x.rank - 1] !== weight.shape[1]) {
    throw new ShapeError(`fp8Linear: x ${formatShape(x.shape)} does not fit weight ${formatShape(weight.shape)} ([out, in])`);
  }
  return tidy(() => {
    const lead = x.shape.slice(0, -1);
    const x2 = reshape(x, [-1, x.shape[x.rank - 1]]);
    const quantised = options.accumulator ? hostFp8Gemm(x2, weight, options.accumulator) : noGrad(() => linear(fp8QuantDequant(x2, 1), fp8QuantDequant(weight, FP8_BLOCK)));
    // Exactly zero, with the gradient of the full-precision product: quantised + (m - m) = quantised.
    const full = linear(x2, weight);
    let y = add(quantised, sub(full, stopGradient(full)));
    if (bias) y = add(y, bias);
    return reshape(y, [...lead, weight.shape[0]]);
  });
}

/** The reference FP8 GEMM on host copies (limited-precision accumulation with promotion). */
function hostFp8Gemm(x: Tensor, w: Tensor, options: Fp8GemmOptions): Tensor {
  if (!x.backend.readSync) throw new ShapeError(`fp8Linear: the emulated accumulator needs a backend with host buffers, not "${x.backend.name}"`);
  return noGrad(() =>
    tidy(() => {
      const a = toBlockQuantized(x, 1);
      const b = toBlockQuantized(w, FP8_BLOCK);
      return engine.makeTensor(fp8Gemm(a, b, options), [x.shape[0], w.shape[0]], "f32", x.backend);
    }),
  );
}

/** Quantises on the device, then copies codes and scales to the host in the layout of `fp8Gemm`. */
function toBlockQuantized(x: Tensor, blockRows: number): BlockQuantized {
  const [rows, cols] = x.shape;
  return tidy(() => {
    const { values, scales, rowsP, colsP } = quantizeTensor(x, blockRows, FP8_BLOCK);
    const padded = values.dataSync() as Uint8Array; // [rowsP, colsP] row-major
    const codes = new Uint8Array(rows * cols);
    for (let r = 0; r < rows; r++) codes.set(padded.subarray(r * colsP, r * colsP + cols), r * cols);
    return { rows, cols, blockRows, blockCols: FP8_BLOCK, codes, scales: Float32Array.from(scales.dataSync()) };
  });
}
