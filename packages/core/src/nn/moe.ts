/**
 * DeepSeekMoE (DeepSeek-V3 §2.1.2, eq. 12; docs/moe.md): routed SwiGLU experts chosen per token by
 * the MoEGate plus always-on shared experts,
 *   MoE(u) = sum_{i in topK} g_i FFN_i(u) + FFN_shared(u)          (the residual is added by the block)
 * and the sequence-wise balance loss (eq. 17-20):
 *   L_bal = alpha * sum_i f_i P_i,  f_i = N_r / (K T) * #{t : i in top-K(s_t)},  P_i = (1/T) sum_t s_i,t / sum_j s_j,t
 * over the T tokens of each sequence (averaged over the batch). HF DeepSeek-V3 names: `gate`,
 * `experts.N.{gate,up,down}_proj`, `shared_experts.*` (the shared experts are one SwiGLU nSharedExperts times as wide).
 *
 * Two ways to run the experts, with the same result: "sparse" gathers each expert's tokens, runs it on them
 * and scatters the weighted outputs back (reads the routing on the host, so only on backends with host
 * buffers, such as the reference backend); "dense" runs every expert on every token and combines them with
 * the gate's weights (zero off the top-K): shape-static and backend-neutral, at E / K times the expert FLOPs.
 * The default, "auto", takes sparse where the backend reads synchronously and dense elsewhere.
 */
import { add, div, mul } from "../ops/elementwise.ts";
import { ShapeError } from "../errors.ts";
import { zeros } from "../ops/creation.ts";
import { gather, oneHot, putAlongAxisAdd, scatterAdd, topk } from "../ops/indexing.ts";
import { reshape, slice } from "../ops/layout.ts";
import { mean, sum } from "../ops/reduce.ts";
import { noGrad, tidy } from "../memory.ts";
import { engine } from "../tensor/engine.ts";
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
  /** How experts are run (see the file comment); default "auto". */
  dispatch?: MoEDispatch;
  /** Keep the experts' weights in FP8 with block scales (nn/linear.ts); the gate stays f32. */
  fp8Weights?: boolean;
}

export type MoEDispatch = "auto" | "sparse" | "dense";

/** How a forward pass treats the MoE layers; training forwards set these (train/moe-balancing.ts). */
export interface MoEForwardOptions {
  /** Collects this layer's balance loss (a scalar) when alpha > 0. */
  auxLosses?: Tensor[];
  /**
   * Count the chosen experts' load for the auxiliary-loss-free bias update (default false): only the
   * training forward counts, not generation or the old / reference log-prob passes.
   */
  countLoad?: boolean;
  /** alpha of the balance loss for this pass (default: the layer's `balanceLossAlpha`). */
  balanceLossAlpha?: number;
}

export class MoE extends Module {
  readonly gate: MoEGate;
  readonly experts: ModuleList<SwiGLU>;
  readonly shared_experts: SwiGLU | undefined;
  readonly balanceLossAlpha: number;
  dispatch: MoEDispatch;

  constructor(
    readonly config: MoEConfig,
    init: InitOptions = {},
  ) {
    super();
    const { dim, moeInterDim, nSharedExperts, nRoutedExperts } = config;
    if (!Number.isSafeInteger(nSharedExperts) || nSharedExperts < 0) throw new RangeError(`MoE: nSharedExperts must be an integer >= 0, got ${nSharedExperts}`);
    this.balanceLossAlpha = config.balanceLossAlpha ?? 0;
    this.dispatch = config.dispatch ?? "auto";
    if (!(this.balanceLossAlpha >= 0)) throw new RangeError(`MoE: balanceLossAlpha must be >= 0, got ${this.balanceLossAlpha}`);
    this.gate = this.addModule("gate", new MoEGate(config, init));
    const lin = { ...init, fp8Weight: config.fp8Weights === true };
    this.experts = this.addModule("experts", new ModuleList(Array.from({ length: nRoutedExperts }, () => new SwiGLU(dim, moeInterDim, lin))));
    this.shared_experts = nSharedExperts > 0 ? this.addModule("shared_experts", new SwiGLU(dim, nSharedExperts * moeInterDim, lin)) : undefined;
  }

  /** x [B, S, dim] -> [B, S, dim] */
  forward(x: Tensor, { auxLosses, countLoad = false, balanceLossAlpha = this.balanceLossAlpha }: MoEForwardOptions = {}): Tensor {
    const { y, aux } = tidy(() => {
      const [b, s, dim] = x.shape;
      const rows = reshape(x, [b * s, dim]);
      const routing = this.gate.route(rows, { countLoad });
      const aux = auxLosses && balanceLossAlpha > 0 ? this.balanceLoss(routing, b, s, balanceLossAlpha) : undefined;
      const sparse = this.dispatch === "sparse" || (this.dispatch === "auto" && rows.backend.readSync !== undefined);
      let y = this.shared_experts ? this.shared_experts.forward(rows) : undefined;
      for (const term of sparse ? this.sparseTerms(rows, routing) : this.denseTerms(rows, routing)) y = y ? add(y, term) : term;
      return { y: reshape(y ?? zeros([b * s, dim], "f32", x.backend), [b, s, dim]), aux };
    });
    if (aux) auxLosses!.push(aux);
    return y;
  }

  /** Every expert on every token, weighted by the dense combine weights [T, E] (g_i for chosen experts, 0 elsewhere). */
  private denseTerms(rows: Tensor, routing: Routing): Tensor[] {
    const combine = putAlongAxisAdd(routing.weights, routing.indices, this.gate.nRoutedExperts, -1);
    return [...this.experts].map((expert, e) => mul(slice(combine, [0, e], [-1, 1]), expert.forward(rows)));
  }

  /** Each expert on its own tokens only, its weighted outputs scattered back into [T, dim]. */
  private sparseTerms(rows: Tensor, routing: Routing): Tensor[] {
    if (!rows.backend.readSync) throw new ShapeError(`MoE: sparse dispatch reads the routing on the host; backend "${rows.backend.name}" cannot (use dispatch "dense")`);
    const [t, k] = routing.indices.shape;
    const chosen = routing.indices.dataSync();
    const tokens: number[][] = Array.from({ length: this.gate.nRoutedExperts }, () => []);
    const slots: number[][] = Array.from({ length: this.gate.nRoutedExperts }, () => []);
    for (let i = 0; i < t * k; i++) {
      tokens[chosen[i]].push(Math.floor(i / k));
      slots[chosen[i]].push(i);
    }
    const flatWeights = reshape(routing.weights, [t * k]);
    const terms: Tensor[] = [];
    let e = 0;
    for (const expert of this.experts) {
      const n = tokens[e].length;
      if (n > 0) {
        const at = engine.makeTensor(Int32Array.from(tokens[e]), [n], "i32", rows.backend);
        const w = reshape(gather(flatWeights, engine.makeTensor(Int32Array.from(slots[e]), [n], "i32", rows.backend), 0), [n, 1]);
        terms.push(scatterAdd(mul(expert.forward(gather(rows, at, 0)), w), at, t, 0));
      }
      e++;
    }
    return terms;
  }

  /** alpha * mean over sequences of sum_i f_i P_i (docs/moe.md); f from the top-K of the unbiased scores. */
  balanceLoss(routing: Routing, batch: number, seq: number, alpha = this.balanceLossAlpha): Tensor {
    return tidy(() => {
      const { nRoutedExperts: e, topK: k } = this.gate;
      const scores = reshape(routing.scores, [batch, seq, e]);
      const p = mean(div(scores, sum(scores, -1, { keepDims: true })), 1); // [B, E]
      const f = noGrad(() => mul(sum(oneHot(topk(scores, k).indices, e), [1, 2]), e / (k * seq))); // [B, E]
      return mul(mean(sum(mul(f, p), -1)), alpha);
    });
  }
}
