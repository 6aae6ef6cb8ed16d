/**
 * Gradient clipping by global L2 norm (Pascanu et al. 2013, alg. 1; torch.nn.utils.clip_grad_norm_):
 * total = sqrt(sum_i ||g_i||^2); every gradient is scaled by min(1, maxNorm / (total + 1e-6)).
 * Everything stays on the device (no read-back), so a training step can run without host sync.
 */
import { add, div, minimum, mul } from "../ops/elementwise.ts";
import { sqrt } from "../ops/elementwise.ts";
import { scalar } from "../ops/creation.ts";
import { sum } from "../ops/reduce.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";

export interface ClippedGrads<G> {
  /** New, scaled gradients in the same container (the inputs are left untouched and still owned by the caller). */
  grads: G;
  /** The global L2 norm before clipping, a scalar tensor. */
  totalNorm: Tensor;
}

export function clipGradNorm<G extends Map<string, Tensor> | Tensor[]>(grads: G, maxNorm: number): ClippedGrads<G> {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new RangeError(`clipGradNorm: maxNorm must be a finite number > 0, got ${maxNorm}`);
  const list = grads instanceof Map ? [...grads.values()] : (grads as Tensor[]);
  return engine.noGrad(() =>
    engine.tidy(() => {
      let squares: Tensor = scalar(0, "f32", list[0]?.backend);
      for (const g of list) squares = add(squares, sum(mul(g, g)));
      const totalNorm = sqrt(squares);
      const coefficient = minimum(div(maxNorm, add(totalNorm, 1e-6)), 1);
      const scaled = list.map((g) => mul(g, coefficient));
      const out = grads instanceof Map ? new Map([...grads.keys()].map((k, i) => [k, scaled[i]])) : scaled;
      return { grads: out as G, totalNorm };
    }),
  );
}
