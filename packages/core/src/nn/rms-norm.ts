/** RMSNorm (Zhang & Sennrich 2019, eq. 4): y = x / sqrt(mean(x^2) + eps) * g, g initialised to ones. */
import { ones } from "../ops/creation.ts";
import { rmsNorm } from "../ops/fused/index.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import { checkDim } from "./linear.ts";
import { Module } from "./module.ts";

export class RMSNorm extends Module {
  readonly weight: Variable;

  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
  ) {
    super();
    checkDim("RMSNorm", "dim", dim);
    if (!(eps > 0)) throw new RangeError(`RMSNorm: eps must be > 0, got ${eps}`);
    this.weight = this.addParameter("weight", ones([dim]));
  }

  /** Normalises over the last axis. */
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}
