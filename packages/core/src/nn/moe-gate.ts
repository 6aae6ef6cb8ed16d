/**
 * The DeepSeekMoE router with auxiliary-loss-free load balancing (DeepSeek-V3 §2.1.2, eq. 12-16;
 * docs/moe.md), as DeepSeek-V3's `inference/model.py` class Gate, with HF names
 * (`weight`, `e_score_correction_bias`):
 *   s     = sigmoid(x W^T) or softmax(x W^T)                          affinities (eq. 15)
 *   pick  = top-K of s + b (b: per-expert bias, for selection only)   (eq. 16)
 *           group-limited: a group's score is the sum of its top-2 (s + b) (V3's noaux_tc), or its max (V2's
 *           group_limited_greedy); only the top nLimitedGroups groups compete
 *   w     = s[pick]; renormalised (w /= sum w, eq. 13) with normTopkProb (default: sigmoid scores); w *= routeScale
 * The bias gets no gradient: it moves by the auxiliary-loss-free rule (moe-balance.ts) from the expert loads
 * this gate counts in `forward` passes.
 */
import { ShapeError } from "../errors.ts";
import { add, div, greater, mul, sigmoid, where } from "../ops/elementwise.ts";
import { putAlongAxisAdd, oneHot, takeAlongAxis, topk } from "../ops/indexing.ts";
import { reshape } from "../ops/layout.ts";
import { linear } from "../ops/matmul.ts";
import { max, sum } from "../ops/reduce.ts";
import { softmax } from "../ops/softmax.ts";
import { ones, zeros } from "../ops/creation.ts";
import { keep, noGrad, tidy } from "../memory.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import { type InitOptions, initialWeight } from "./init.ts";
import { Module } from "./module.ts";

export type MoEScoreFunc = "softmax" | "sigmoid";

/** How a group of experts is scored for group-limited routing: the sum of its two best, or its best. */
export type MoEGroupScoring = "top2Sum" | "max";

export interface MoEGateConfig {
  dim: number;
  /** N_r: routed experts. */
  nRoutedExperts: number;
  /** K: experts activated per token. */
  nActivatedExperts: number;
  /** Expert groups for group-limited routing (1 = none). */
  nExpertGroups?: number;
  /** Groups a token may route to. */
  nLimitedGroups?: number;
  scoreFunc?: MoEScoreFunc;
  /** Multiplies the routing weights (2.5 in DeepSeek-V3). */
  routeScale?: number;
  /** Learnable-free selection bias (default: with sigmoid scores, as DeepSeek-V3). */
  routerBias?: boolean;
  /** Renormalise the chosen weights to sum to 1 (default: with sigmoid scores, as DeepSeek-V3). */
  normTopkProb?: boolean;
  /** Group score for group-limited routing (default "top2Sum", DeepSeek-V3; "max" is DeepSeek-V2). */
  groupScoring?: MoEGroupScoring;
}

/** Far below any affinity: masks experts of dropped groups out of the top-K. */
const DROPPED = -1e9;

export interface Routing {
  /** Softmax or sigmoid affinities s [T, E] (differentiable). */
  scores: Tensor;
  /** Chosen experts [T, K] (i32). */
  indices: Tensor;
  /** Their weights [T, K] (differentiable through s). */
  weights: Tensor;
}

export class MoEGate extends Module {
  readonly weight: Variable;
  /** b: per-expert selection bias, not trained by gradients (trainable = false). */
  readonly e_score_correction_bias: Variable | undefined;
  readonly nRoutedExperts: number;
  readonly topK: number;
  readonly nGroups: number;
  readonly topkGroups: number;
  readonly scoreFunc: MoEScoreFunc;
  readonly routeScale: number;
  readonly normTopkProb: boolean;
  readonly groupScoring: MoEGroupScoring;
  /** Tokens routed to each expert by `forward` passes since the last `takeLoad()` ([E] f32), if any. */
  private load: Tensor | undefined;

  constructor(config: MoEGateConfig, init: InitOptions = {}) {
    super();
    const { dim, nRoutedExperts: e, nActivatedExperts: k, nExpertGroups: g = 1, nLimitedGroups: tg = 1, scoreFunc = "softmax", routeScale = 1 } = config;
    const positive = (name: string, v: number) => {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`MoEGate: ${name} must be a positive integer, got ${v}`);
    };
    Object.entries({ dim, nRoutedExperts: e, nActivatedExperts: k, nExpertGroups: g, nLimitedGroups: tg }).forEach(([n, v]) => positive(n, v));
    if (k > e) throw new RangeError(`MoEGate: nActivatedExperts (${k}) exceeds nRoutedExperts (${e})`);
    if (e % g !== 0) throw new RangeError(`MoEGate: nExpertGroups (${g}) must divide nRoutedExperts (${e})`);
    if (tg > g) throw new RangeError(`MoEGate: nLimitedGroups (${tg}) exceeds nExpertGroups (${g})`);
    if (g > 1 && e / g < 2 && (config.groupScoring ?? "top2Sum") === "top2Sum") throw new RangeError(`MoEGate: group-limited routing scores groups by their top-2 experts; groups of ${e / g} expert are too small`);
    if (g > 1 && (tg * e) / g < k) throw new RangeError(`MoEGate: ${tg} groups of ${e / g} experts cannot supply ${k} experts per token`);
    if (scoreFunc !== "softmax" && scoreFunc !== "sigmoid") throw new RangeError(`MoEGate: scoreFunc must be "softmax" or "sigmoid", got ${JSON.stringify(scoreFunc)}`);
    if (!(Number.isFinite(routeScale) && routeScale > 0)) throw new RangeError(`MoEGate: routeScale must be a finite number > 0, got ${routeScale}`);
    this.nRoutedExperts = e;
    this.topK = k;
    this.nGroups = g;
    this.topkGroups = tg;
    this.scoreFunc = scoreFunc;
    this.routeScale = routeScale;
    this.normTopkProb = config.normTopkProb ?? scoreFunc === "sigmoid";
    this.groupScoring = config.groupScoring ?? "top2Sum";
    if (this.groupScoring !== "top2Sum" && this.groupScoring !== "max") throw new RangeError(`MoEGate: groupScoring must be "top2Sum" or "max", got ${JSON.stringify(this.groupScoring)}`);
    this.weight = this.addParameter("weight", initialWeight([e, dim], init));
    if (config.routerBias ?? scoreFunc === "sigmoid") {
      this.e_score_correction_bias = this.addParameter("e_score_correction_bias", zeros([e]));
      this.e_score_correction_bias.trainable = false;
    }
  }

  /** Routes token rows x [T, dim]; counts the chosen experts' load when `countLoad`. */
  route(x: Tensor, { countLoad = false } = {}): Routing {
    if (x.rank !== 2 || x.shape[1] !== this.weight.shape[1]) throw new ShapeError(`MoEGate: x must be [tokens, ${this.weight.shape[1]}], got [${x.shape.join(", ")}]`);
    const routing = tidy(() => {
      const logits = linear(x, this.weight);
      const scores = this.scoreFunc === "sigmoid" ? sigmoid(logits) : softmax(logits, -1);
      const indices = noGrad(() => this.select(scores));
      let weights = takeAlongAxis(scores, indices, -1);
      if (this.normTopkProb) weights = div(weights, sum(weights, -1, { keepDims: true }));
      if (this.routeScale !== 1) weights = mul(weights, this.routeScale);
      return { scores, indices, weights };
    });
    if (countLoad) this.addLoad(routing.indices);
    return routing;
  }

  /** The top-K experts of s + b [T, K], restricted to the best groups. */
  private select(scores: Tensor): Tensor {
    return tidy(() => {
      const [t, e] = scores.shape;
      let s = this.e_score_correction_bias ? add(scores, this.e_score_correction_bias) : scores;
      if (this.nGroups > 1) {
        const grouped = reshape(s, [t, this.nGroups, e / this.nGroups]);
        const groupScores = this.groupScoring === "max" ? max(grouped, -1) : sum(topk(grouped, 2).values, -1); // [T, G]
        const kept = topk(groupScores, this.topkGroups).indices; // [T, topkGroups]
        const keep = putAlongAxisAdd(ones([t, this.topkGroups], "f32", scores.backend), kept, this.nGroups, -1); // 1 for kept groups
        s = reshape(where(greater(reshape(keep, [t, this.nGroups, 1]), 0), grouped, DROPPED), [t, e]);
      }
      return topk(s, this.topK).indices;
    });
  }

  private addLoad(indices: Tensor): void {
    noGrad(() => {
      const counted = tidy(() => {
        const now = sum(oneHot(indices, this.nRoutedExperts), [0, 1]);
        return this.load ? add(this.load, now) : now;
      });
      this.load?.dispose();
      this.load = keep(counted);
    });
  }

  /** The expert loads counted since the last call ([E] f32, or undefined if none); the count restarts. */
  takeLoad(): Tensor | undefined {
    const load = this.load;
    this.load = undefined;
    return load;
  }

  override dispose(): void {
    this.load?.dispose();
    this.load = undefined;
    super.dispose();
  }
}
