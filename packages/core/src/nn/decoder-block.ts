/** A pre-norm decoder block (Llama / DeepSeek): h = x + attn(norm(x)); out = h + mlp(norm(h)). */
import { add } from "../ops/elementwise.ts";
import { tidy } from "../memory.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { LayerCache } from "../generate/kv-cache.ts";
import { type CachedStep, CausalSelfAttention } from "./attention.ts";
import type { InitOptions } from "./init.ts";
import { Module } from "./module.ts";
import { RMSNorm } from "./rms-norm.ts";
import type { RopeTables } from "./rope.ts";
import { SwiGLU } from "./swiglu.ts";
import type { TransformerConfig } from "./transformer-config.ts";
import { ropeAttentionFactor } from "./rope.ts";

export class DecoderBlock extends Module {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: CausalSelfAttention;
  readonly post_attention_layernorm: RMSNorm;
  readonly mlp: SwiGLU;

  constructor(config: TransformerConfig, init: InitOptions = {}) {
    super();
    this.input_layernorm = this.addModule("input_layernorm", new RMSNorm(config.dim, config.normEps));
    this.self_attn = this.addModule(
      "self_attn",
      new CausalSelfAttention(
        {
          dim: config.dim,
          nHeads: config.nHeads,
          nKvHeads: config.nKvHeads,
          headDim: config.headDim,
          ropeInterleaved: config.ropeInterleaved,
          bias: config.attentionBias,
          softmaxScale: ropeAttentionFactor(config.ropeScaling, config.maxSeqLen) / Math.sqrt(config.headDim),
        },
        init,
      ),
    );
    this.post_attention_layernorm = this.addModule("post_attention_layernorm", new RMSNorm(config.dim, config.normEps));
    this.mlp = this.addModule("mlp", new SwiGLU(config.dim, config.interDim, init));
  }

  /** x [B, S, dim] -> [B, S, dim] */
  forward(x: Tensor, tables: RopeTables): Tensor {
    return tidy(() => {
      const h = add(x, this.self_attn.forward(this.input_layernorm.forward(x), tables));
      return add(h, this.mlp.forward(this.post_attention_layernorm.forward(h)));
    });
  }

  /** One step of cached decoding: x [B, S, dim] are the new tokens. */
  forwardCached(x: Tensor, step: CachedStep, cache: LayerCache): Tensor {
    return tidy(() => {
      const h = add(x, this.self_attn.forwardCached(this.input_layernorm.forward(x), step, cache));
      return add(h, this.mlp.forward(this.post_attention_layernorm.forward(h)));
    });
  }
}
