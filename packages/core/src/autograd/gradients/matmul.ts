/**
 * Gradient of C = op(A) op(B) (op = optional transpose of the last two dims):
 * dA and dB are again matmuls with transposes, summed over broadcast batch dims.
 */
import { registerGradient } from "../registry.ts";
import { engine } from "../../tensor/engine.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { sumToShape } from "./sum-to-shape.ts";

function mm(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  return engine.runKernel("MatMul", [a, b], { transposeA, transposeB })[0];
}

registerGradient<{ transposeA: boolean; transposeB: boolean }>("MatMul", (dc, { inputs: [a, b], attrs: { transposeA, transposeB }, needsGrad }) => {
  const da = (): Tensor => {
    if (!transposeA) return transposeB ? mm(dc, b, false, false) : mm(dc, b, false, true); // dC B or dC B^T
    return transposeB ? mm(b, dc, true, true) : mm(b, dc, false, true); // B^T dC^T or B dC^T
  };
  const db = (): Tensor => {
    if (!transposeB) return transposeA ? mm(a, dc, false, false) : mm(a, dc, true, false); // A dC or A^T dC
    return transposeA ? mm(dc, a, true, true) : mm(dc, a, true, false); // dC^T A^T or dC^T A
  };
  return [
    needsGrad[0] ? engine.tidy(() => sumToShape(da(), a.shape)) : null,
    needsGrad[1] ? engine.tidy(() => sumToShape(db(), b.shape)) : null,
  ];
}, { inputs: [0, 1], outputs: [] });
