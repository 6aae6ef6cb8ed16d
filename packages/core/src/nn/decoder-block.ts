/**
 * A pre-norm decoder block (Llama / DeepSeek): h = x + attn(norm(x)); out = h + mlp(norm(h)).
 * attn is GQA attention or multi-head latent attention; mlp is a dense SwiGLU or, for MoE models from
 * layer `nDenseLayers` on, DeepSeekMoE (config.attention, config.nRoutedExperts).
 */
import { add } from "../ops/elementwise.ts";
import { tidy } from "../memory.ts";
import type { LayerCache } from "../generate/kv-cache.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type CachedStep, CausalSelfAttention } from "./attention.ts";
import type { InitOptions } from "./init.ts";
import { MultiHeadLatentAttention } from "./mla.ts";
import { Module } from "./module.ts";
import { MoE, type MoEForwardOptions } from "./moe.ts";
import { RMSNorm } from "./rms-norm.ts";
import type { RopeTables } from "./rope.ts";
import { ropeAttentionFactor } from "./rope.ts";
import { SwiGLU } from "./swiglu.ts";
import type { TransformerConfig } from "./transformer-config.ts";

export class DecoderBlock extends Module {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: CausalSelfAttention | MultiHeadLatentAttention;
  readonly post_attention_layernorm: RMSNorm;
  readonly mlp: SwiGLU | MoE;

  constructor(config: TransformerConfig, init: InitOptions = {}, layerIndex = 0) {
    super();
    const factor = ropeAttentionFactor(config.ropeScaling, config.maxSeqLen);
    this.input_layernorm = this.addModule("input_layernorm", new RMSNorm(config.dim, config.normEps));
    this.self_attn = this.addModule("self_attn", config.attention === "mla" ? latentAttention(config, factor, init) : groupedAttention(config, factor, init));
    this.post_attention_layernorm = this.addModule("post_attention_layernorm", new RMSNorm(config.dim, config.normEps));
    const moe = config.nRoutedExperts > 0 && layerIndex >= config.nDenseLayers && layerIndex % config.moeLayerFreq === 0;
    this.mlp = this.addModule("mlp", moe ? mixtureOfExperts(config, init) : new SwiGLU(config.dim, config.interDim, { ...init, bias: config.mlpBias, fp8Weight: config.fp8Weights }));
  }

  /** x [B, S, dim] -> [B, S, dim]; MoE layers push their balance loss into `moe.auxLosses` when given. */
  forward(x: Tensor, tables: RopeTables, moe: MoEForwardOptions = {}): Tensor {
    const { auxLosses } = moe;
    const { h, aux } = tidy(() => {
      const aux: Tensor[] = [];
      const a = add(x, this.self_attn.forward(this.input_layernorm.forward(x), tables));
      const m = this.mlp instanceof MoE ? this.mlp.forward(this.post_attention_layernorm.forward(a), { ...moe, auxLosses: auxLosses ? aux : undefined }) : this.mlp.forward(this.post_attention_layernorm.forward(a));
      return { h: add(a, m), aux };
    });
    auxLosses?.push(...aux);
    return h;
  }

  /** One step of cached decoding: x [B, S, dim] are the new tokens (MoE loads are not counted here). */
  forwardCached(x: Tensor, step: CachedStep, cache: LayerCache): Tensor {
    return tidy(() => {
      const h = add(x, this.self_attn.forwardCached(this.input_layernorm.forward(x), step, cache));
      const normed = this.post_attention_layernorm.forward(h);
      return add(h, this.mlp instanceof MoE ? this.mlp.forward(normed) : this.mlp.forward(normed));
    });
  }
}

function groupedAttention(config: TransformerConfig, factor: number, init: InitOptions): CausalSelfAttention {
  return new CausalSelfAttention(
    {
      dim: config.dim,
      nHeads: config.nHeads,
      nKvHeads: config.nKvHeads,
      headDim: config.headDim,
      ropeInterleaved: config.ropeInterleaved,
      bias: config.attentionBias,
      outputBias: config.attentionOutputBias,
      qkNorm: config.qkNorm,
      normEps: config.normEps,
      softmaxScale: factor / Math.sqrt(config.headDim),
      fp8Weights: config.fp8Weights,
    },
    init,
  );
}

function latentAttention(config: TransformerConfig, factor: number, init: InitOptions): MultiHeadLatentAttention {
  const { qkNopeHeadDim: dn, qkRopeHeadDim: dr } = config;
  return new MultiHeadLatentAttention(
    {
      dim: config.dim,
      nHeads: config.nHeads,
      qLoraRank: config.qLoraRank,
      kvLoraRank: config.kvLoraRank,
      qkNopeHeadDim: dn,
      qkRopeHeadDim: dr,
      vHeadDim: config.vHeadDim,
      normEps: config.normEps,
      ropeInterleaved: config.ropeInterleaved,
      // DeepSeek-V3: (dn + dr)^-0.5, times mscale^2 under YaRN.
      softmaxScale: factor / Math.sqrt(dn + dr),
      absorb: config.mlaAbsorb,
      fp8Weights: config.fp8Weights,
    },
    init,
  );
}

function mixtureOfExperts(config: TransformerConfig, init: InitOptions): MoE {
  return new MoE(
    {
      dim: config.dim,
      moeInterDim: config.moeInterDim,
      nRoutedExperts: config.nRoutedExperts,
      nActivatedExperts: config.nActivatedExperts,
      nSharedExperts: config.nSharedExperts,
      nExpertGroups: config.nExpertGroups,
      nLimitedGroups: config.nLimitedGroups,
      scoreFunc: config.scoreFunc,
      routeScale: config.routeScale,
      routerBias: config.routerBias,
      normTopkProb: config.normTopkProb,
      groupScoring: config.groupScoring,
      balanceLossAlpha: config.balanceLossAlpha,
      fp8Weights: config.fp8Weights,
    },
    init,
  );
}
