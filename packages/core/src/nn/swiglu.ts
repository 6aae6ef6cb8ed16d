/** SwiGLU feed-forward (Shazeer 2020, "GLU Variants", FFN_SwiGLU): down(silu(gate x) * up x). */
import { mul, silu } from "../ops/elementwise.ts";
import { tidy } from "../memory.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { Linear, type LinearOptions } from "./linear.ts";
import { Module } from "./module.ts";

export class SwiGLU extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;

  /** dim -> interDim (gate and up) -> dim (down); no biases by default, as in Llama and DeepSeek (`bias`: Llama's mlp_bias). */
  constructor(
    readonly dim: number,
    readonly interDim: number,
    init: LinearOptions = {},
  ) {
    super();
    this.gate_proj = this.addModule("gate_proj", new Linear(dim, interDim, init));
    this.up_proj = this.addModule("up_proj", new Linear(dim, interDim, init));
    this.down_proj = this.addModule("down_proj", new Linear(interDim, dim, init));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.down_proj.forward(mul(silu(this.gate_proj.forward(x)), this.up_proj.forward(x))));
  }
}
