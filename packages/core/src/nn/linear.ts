/** Linear: y = x W^T + b with an HF-layout weight [out, in]. */
import { linear } from "../ops/matmul.ts";
import { type Fp8LinearOptions, fp8Linear } from "../quant/fp8-linear.ts";
import { randomNormal, zeros } from "../ops/creation.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import { type InitOptions, resolveInit } from "./init.ts";
import { Module } from "./module.ts";

export interface LinearOptions extends InitOptions {
  /** Add a bias (initialised to zeros); default false. */
  bias?: boolean;
}

export class Linear extends Module {
  readonly weight: Variable;
  readonly bias: Variable | undefined;
  /** When set, the forward GEMM runs on FP8 block-quantised inputs (quant/fp8-linear.ts); gradients stay full precision. */
  fp8: Fp8LinearOptions | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    checkDim("Linear", "inFeatures", inFeatures);
    checkDim("Linear", "outFeatures", outFeatures);
    const { std, generator } = resolveInit(options);
    this.weight = this.addParameter("weight", randomNormal([outFeatures, inFeatures], generator, std));
    this.bias = options.bias ? this.addParameter("bias", zeros([outFeatures])) : undefined;
  }

  /** x [..., in] -> [..., out] */
  forward(x: Tensor): Tensor {
    return this.fp8 ? fp8Linear(x, this.weight, this.bias, this.fp8) : linear(x, this.weight, this.bias);
  }
}

export function checkDim(layer: string, what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${layer}: ${what} must be a positive integer, got ${n}`);
}
