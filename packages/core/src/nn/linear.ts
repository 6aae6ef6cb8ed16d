/** Linear: y = x W^T + b with an HF-layout weight [out, in], plus an optional adapter's output (LoRA). */
import { add } from "../ops/elementwise.ts";
import { linear } from "../ops/matmul.ts";
import { type Fp8LinearOptions, fp8Linear } from "../quant/fp8-linear.ts";
import { blockScaleShape, dequantizeBlockWeight } from "../quant/fp8-block-weights.ts";
import { ones, zeros } from "../ops/creation.ts";
import { tidy } from "../memory.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import { type InitOptions, initialWeight } from "./init.ts";
import { Module } from "./module.ts";

export interface LinearOptions extends InitOptions {
  /** Add a bias (initialised to zeros); default false. */
  bias?: boolean;
  /**
   * Store the weight as FP8 E4M3 codes with one f32 scale per 128 x 128 block (`weight_scale_inv`, as
   * DeepSeek-V3's released checkpoints), dequantised at every use; such a weight is not trainable.
   */
  fp8Weight?: boolean;
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
  /** With an FP8-stored weight: its block scales [ceil(out / 128), ceil(in / 128)] (HF `weight_scale_inv`). */
  readonly weight_scale_inv: Variable | undefined;
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
    if (options.fp8Weight) {
      this.weight = this.addParameter("weight", initialWeight([outFeatures, inFeatures], options, "f8e4m3"));
      this.weight.trainable = false;
    } else this.weight = this.addParameter("weight", initialWeight([outFeatures, inFeatures], options));
    this.bias = options.bias ? this.addParameter("bias", zeros([outFeatures])) : undefined;
    if (options.fp8Weight) {
      this.weight_scale_inv = this.addParameter("weight_scale_inv", ones(blockScaleShape(outFeatures, inFeatures)));
      this.weight_scale_inv.trainable = false;
    }
  }

  /** The weight as f32 [out, in]: the parameter itself, or its dequantised FP8 codes (a new tensor). */
  denseWeight(): Tensor {
    return this.weight_scale_inv ? dequantizeBlockWeight(this.weight, this.weight_scale_inv) : this.weight;
  }

  /** Added to the output when set (not a child module: its parameters are not the layer's). */
  adapter: LinearAdapter | undefined;

  /** x [..., in] -> [..., out] */
  forward(x: Tensor): Tensor {
    const y = this.weight_scale_inv ? tidy(() => this.multiply(x, this.denseWeight())) : this.multiply(x, this.weight);
    return this.adapter ? add(y, this.adapter.forward(x)) : y;
  }

  /** The weight the layer applies as f32: W (dequantised when stored as FP8) plus the adapter's delta. */
  effectiveWeight(): Tensor {
    const w = this.denseWeight();
    return this.adapter ? add(w, this.adapter.deltaWeight()) : w;
  }

  private multiply(x: Tensor, w: Tensor): Tensor {
    return this.fp8 ? fp8Linear(x, w, this.bias, this.fp8) : linear(x, w, this.bias);
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
