/**
 * DeepSeekMoE (DeepSeek-V3 §2.1.2, eq. 12; REFERENCE.md §6): routed SwiGLU experts chosen per token by
 * the MoEGate plus always-on shared experts,
 *   MoE(u) = sum_{i in topK} g_i FFN_i(u) + FFN_shared(u)          (the residual is added by the block)
 * and the sequence-wise balance loss (eq. 17-20):
 *   L_bal = alpha * sum_i f_i P_i,  f_i = N_r / (K T) * #{t : i in top-K(s_t)},  P_i = (1/T) sum_t s_i,t / sum_j s_j,t
 * over the T tokens of each sequence (averaged over the batch). HF DeepSeek-V3 names: `gate`,
 * `experts.N.{gate,up,down}_proj`, `shared_experts.*` (the shared experts are one SwiGLU nSharedExperts times as wide).
 *
 * Every expert runs on every token and the gate's weights (zero off the top-K) combine them: exact, shape-
 * static and backend-neutral (no host read-back of the routing), at E / K times the expert FLOPs of sparse
 * dispatch. Fine for the small models trained here; sparse dispatch is future work.
 */
import { add, div, mul } from "../ops/elementwise.ts";
import { oneHot, putAlongAxisAdd, topk } from "../ops/indexing.ts";
import { reshape, slice } from "../ops/layout.ts";
import { mean, sum } from "../ops/reduce.ts";
import { noGrad, tidy } from "../memory.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { InitOptions } from "./init.ts";
import { MoEGate, type MoEGateConfig, type Routing } from "./moe-gate.ts";
import { Module, ModuleList } from "./module.ts";
import { SwiGLU } from "./swiglu.ts";

export interface MoEConfig extends MoEGateConfig {
  /** Hidden width of each expert. */
  moeInterDim: number;
  /** Shared experts, always active (0 = none). */
  nSharedExperts: number;
  /** alpha of the sequence-wise balance loss (0 = off; DeepSeek-V3: 0.0001). */
  balanceLossAlpha?: number;
}

export interface MoEForwardOptions {
  /** Collects this layer's balance loss (a scalar) when alpha > 0. */
  auxLosses?: Tensor[];
  /** Count the chosen experts' load for the bias update (default true). */
  countLoad?: boolean;
}

export class MoE extends Module {
  readonly gate: MoEGate;
  readonly experts: ModuleList<SwiGLU>;
  readonly shared_experts: SwiGLU | undefined;
  readonly balanceLossAlpha: number;

  constructor(
    readonly config: MoEConfig,
    init: InitOptions = {},
  ) {
    super();
    const { dim, moeInterDim, nSharedExperts, nRoutedExperts } = config;
    if (!Number.isSafeInteger(nSharedExperts) || nSharedExperts < 0) throw new RangeError(`MoE: nSharedExperts must be an integer >= 0, got ${nSharedExperts}`);
    this.balanceLossAlpha = config.balanceLossAlpha ?? 0;
    if (!(this.balanceLossAlpha >= 0)) throw new RangeError(`MoE: balanceLossAlpha must be >= 0, got ${this.balanceLossAlpha}`);
    this.gate = this.addModule("gate", new MoEGate(config, init));
    this.experts = this.addModule("experts", new ModuleList(Array.from({ length: nRoutedExperts }, () => new SwiGLU(dim, moeInterDim, init))));
    this.shared_experts = nSharedExperts > 0 ? this.addModule("shared_experts", new SwiGLU(dim, nSharedExperts * moeInterDim, init)) : undefined;
  }

  /** x [B, S, dim] -> [B, S, dim] */
  forward(x: Tensor, { auxLosses, countLoad = true }: MoEForwardOptions = {}): Tensor {
    const { y, aux } = tidy(() => {
      const [b, s, dim] = x.shape;
      const rows = reshape(x, [b * s, dim]);
      const routing = this.gate.route(rows, { countLoad });
      const aux = auxLosses && this.balanceLossAlpha > 0 ? this.balanceLoss(routing, b, s) : undefined;
      // Dense combine weights [T, E]: g_i for the chosen experts, 0 elsewhere.
      const combine = putAlongAxisAdd(routing.weights, routing.indices, this.gate.nRoutedExperts, -1);
      let y = this.shared_experts ? this.shared_experts.forward(rows) : undefined;
      let e = 0;
      for (const expert of this.experts) {
        const term = mul(slice(combine, [0, e++], [-1, 1]), expert.forward(rows));
        y = y ? add(y, term) : term;
      }
      return { y: reshape(y!, [b, s, dim]), aux };
    });
    if (aux) auxLosses!.push(aux);
    return y;
  }

  /** alpha * mean over sequences of sum_i f_i P_i (REFERENCE §6); f from the top-K of the unbiased scores. */
  balanceLoss(routing: Routing, batch: number, seq: number): Tensor {
    return tidy(() => {
      const { nRoutedExperts: e, topK: k } = this.gate;
      const scores = reshape(routing.scores, [batch, seq, e]);
      const p = mean(div(scores, sum(scores, -1, { keepDims: true })), 1); // [B, E]
      const f = noGrad(() => mul(sum(oneHot(topk(scores, k).indices, e), [1, 2]), e / (k * seq))); // [B, E]
      return mul(mean(sum(mul(f, p), -1)), this.balanceLossAlpha);
    });
  }
}
