/**
 * One LoRA adapter on a Linear layer W [out, in]: h = W x + s B A dropout(x), with A [r, in]
 * initialised as PEFT does (Kaiming-uniform with a = sqrt(5): U(-1/sqrt(in), 1/sqrt(in))), B [out, r]
 * zeros (so training starts from the base model), s the scale (lora-config.ts). Its parameters are
 * named as PEFT names them under the layer: `lora_A.weight`, `lora_B.weight`.
 */
import { matmul } from "../ops/matmul.ts";
import { mul } from "../ops/elementwise.ts";
import { randomUniform, zeros } from "../ops/creation.ts";
import { tidy } from "../memory.ts";
import { dropout } from "../nn/dropout.ts";
import { Linear, type LinearAdapter } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";
import type { Generator } from "../random/generator.ts";
import type { Tensor } from "../tensor/tensor.ts";

export interface LoraAdapterOptions {
  r: number;
  scaling: number;
  dropout: number;
  /** Draws lora_A's initial values and the dropout masks. */
  generator: Generator;
}

export class LoraAdapter extends Module implements LinearAdapter {
  readonly lora_A: Linear;
  readonly lora_B: Linear;
  readonly scaling: number;
  readonly dropoutRate: number;
  /** Dropout is applied only while training. */
  training = true;
  private readonly generator: Generator;

  constructor(inFeatures: number, outFeatures: number, options: LoraAdapterOptions) {
    super();
    this.scaling = options.scaling;
    this.dropoutRate = options.dropout;
    this.generator = options.generator;
    this.lora_A = this.addModule("lora_A", new Linear(inFeatures, options.r));
    this.lora_B = this.addModule("lora_B", new Linear(options.r, outFeatures));
    const bound = 1 / Math.sqrt(inFeatures);
    const a = randomUniform([options.r, inFeatures], options.generator, -bound, bound);
    const b = zeros([outFeatures, options.r]);
    this.lora_A.weight.assign(a);
    this.lora_B.weight.assign(b);
    a.dispose();
    b.dispose();
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = this.training && this.dropoutRate > 0 ? dropout(x, this.dropoutRate, this.generator) : x;
      // Scaling the rank-r intermediate (not the [.., out] result) keeps the tape's saved tensors small.
      return this.lora_B.forward(mul(this.lora_A.forward(h), this.scaling));
    });
  }

  /** s B A [out, in]. */
  deltaWeight(): Tensor {
    return tidy(() => mul(matmul(this.lora_B.weight, this.lora_A.weight), this.scaling));
  }
}
