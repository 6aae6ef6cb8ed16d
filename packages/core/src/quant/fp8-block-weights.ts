/**
 * Weights stored in FP8 the way DeepSeek-V3's released checkpoints store them: E4M3 codes
 * `weight` [out, in] and one f32 dequantisation scale per 128 x 128 block, `weight_scale_inv`
 * [ceil(out / 128), ceil(in / 128)] (docs/fp8.md: w = decode(q) * s[block]). Edge blocks may be partial.
 * `dequantizeBlockWeight` runs with ops on any backend; it equals `dequantizeBlocks` of block-quant.ts.
 */
import { ShapeError } from "../errors.ts";
import { cast, mul } from "../ops/elementwise.ts";
import { pad, reshape, slice } from "../ops/layout.ts";
import { tidy } from "../memory.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { FP8_BLOCK } from "./block-quant.ts";

/** The shape of the block scales of an [out, in] weight: [ceil(out / 128), ceil(in / 128)]. */
export function blockScaleShape(out: number, inFeatures: number, block = FP8_BLOCK): [number, number] {
  return [Math.ceil(out / block), Math.ceil(inFeatures / block)];
}

/** decode(codes) * scaleInv[block] as an f32 [out, in] tensor (no gradient flows to the codes). */
export function dequantizeBlockWeight(codes: Tensor, scaleInv: Tensor, block = FP8_BLOCK): Tensor {
  const [rows, cols] = codes.shape;
  const [br, bc] = blockScaleShape(rows, cols, block);
  if (codes.rank !== 2 || codes.dtype !== "f8e4m3") throw new ShapeError(`dequantizeBlockWeight: codes must be f8e4m3 [out, in], got ${codes.dtype} ${formatShape(codes.shape)}`);
  if (scaleInv.rank !== 2 || scaleInv.shape[0] !== br || scaleInv.shape[1] !== bc) {
    throw new ShapeError(`dequantizeBlockWeight: weight ${formatShape(codes.shape)} needs scales [${br}, ${bc}] (blocks of ${block}), got ${formatShape(scaleInv.shape)}`);
  }
  return tidy(() => {
    const values = cast(codes, "f32");
    const rowsP = br * block;
    const colsP = bc * block;
    const padded = rowsP === rows && colsP === cols ? values : pad(values, [[0, rowsP - rows], [0, colsP - cols]]);
    const scaled = mul(reshape(padded, [br, block, bc, block]), reshape(cast(scaleInv, "f32"), [br, 1, bc, 1]));
    const full = reshape(scaled, [rowsP, colsP]);
    return rowsP === rows && colsP === cols ? full : slice(full, [0, 0], [rows, cols]);
  });
}
