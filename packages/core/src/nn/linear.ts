/** Linear: y = x W^T + b with an HF-layout weight [out, in], plus an optional adapter's output (LoRA). */
import { add } from "../ops/elementwise.ts";
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

/** A trainable addition to a Linear layer's output (a LoRA adapter: lora/lora-adapter.ts). */
export interface LinearAdapter {
  /** x [..., in] -> the adapter's contribution [..., out]. */
  forward(x: Tensor): Tensor;
  /** The adapter as a weight delta [out, in] (what merging adds to W). */
  deltaWeight(): Tensor;
  /** The adapter's own parameters (not the layer's). */
  parameters(): Variable[];
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

  /** Added to the output when set (not a child module: its parameters are not the layer's). */
  adapter: LinearAdapter | undefined;

  /** x [..., in] -> [..., out] */
  forward(x: Tensor): Tensor {
    const y = this.fp8 ? fp8Linear(x, this.weight, this.bias, this.fp8) : linear(x, this.weight, this.bias);
    return this.adapter ? add(y, this.adapter.forward(x)) : y;
  }

  /** The weight the layer applies, W plus the adapter's delta (for code that reads the weight directly). */
  effectiveWeight(): Tensor {
    return this.adapter ? add(this.weight, this.adapter.deltaWeight()) : this.weight;
  }
}

export function checkDim(layer: string, what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${layer}: ${what} must be a positive integer, got ${n}`);
}

/** Every parameter a module's forward pass reads: its own and those of adapters on its Linear layers. */
export function parametersWithAdapters(module: Module): Variable[] {
  const out = module.parameters();
  const visit = (m: Module): void => {
    if (m instanceof Linear && m.adapter) out.push(...m.adapter.parameters());
    for (const child of m.namedChildren().values()) visit(child);
  };
  visit(module);
  return out;
}
