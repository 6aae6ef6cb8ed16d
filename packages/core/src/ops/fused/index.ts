/**
 * Fused ops: run the backend's fused kernel when it has one, else the composed fallback.
 * Either way the result and its gradient are the same (the conformance suite checks it).
 */
import type { FusedAttrs, FusedKernel, KernelAttrs } from "../../backend/kernels.ts";
import { engine } from "../../tensor/engine.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { composedKernels } from "./composed.ts";
import { add, div, mul, pow, sqrt, sub } from "../elementwise.ts";
import { broadcastTo, concat, reshape, split } from "../layout.ts";
import { scalar } from "../creation.ts";

function runFused<K extends FusedKernel>(kernel: K, inputs: Tensor[], attrs: FusedAttrs[K]): Tensor[] {
  const backend = inputs[0].backend;
  if (backend.fused[kernel]) return engine.runKernel(kernel, inputs, attrs as unknown as KernelAttrs[K]);
  return (composedKernels[kernel] as (i: Tensor[], a: FusedAttrs[K]) => Tensor[])(inputs, attrs);
}

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  return runFused("RMSNorm", [x, weight], { eps })[0];
}

/** Rotary position embedding of x [B, S, H, D] with cos/sin tables [S, D/2]. */
export function rope(x: Tensor, cos: Tensor, sin: Tensor, { interleaved = false } = {}): Tensor {
  return runFused("RoPE", [x, cos, sin], { interleaved })[0];
}

/** Per-row cross-entropy of logits [N, V] against i32 labels [N]. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return runFused("CrossEntropy", [logits, labels], {})[0];
}

export interface AttentionOptions {
  /** Defaults to 1/sqrt(head dim). */
  scale?: number;
  causal?: boolean;
  /** Position of the first query (decoding with a cache: the number of cached tokens); default T - S, or 0 with `bounds`. */
  queryOffset?: number;
  /**
   * Per-row bounds of a padded batch, i32 [B, 3]: (keyStart, keyEnd, queryStart) per row; row b sees the
   * keys keyStart <= t < keyEnd and its query s sits at column queryOffset + queryStart + s
   * (`attentionBounds` builds them). Queries that see no key return 0.
   */
  bounds?: Tensor;
}

/** Attention over q [B, H, S, Dk], k [B, Hkv, T, Dk], v [B, Hkv, T, Dv] with grouped kv heads. */
export function attention(q: Tensor, k: Tensor, v: Tensor, { scale, causal = true, queryOffset, bounds }: AttentionOptions = {}): Tensor {
  const offset = queryOffset ?? (bounds ? 0 : k.shape[2] - q.shape[2]);
  return runFused("Attention", bounds ? [q, k, v, bounds] : [q, k, v], { scale: scale ?? 1 / Math.sqrt(q.shape[3]), causal, queryOffset: offset })[0];
}

/**
 * The per-row bounds i32 [B, 3] of left-padded rows whose queries start at column `queryStart`
 * (a number, or an i32 [1] tensor: data, for captured steps): row b sees keys keyStart[b] <= t < keyEnd.
 */
export function attentionBounds(keyStart: Tensor, keyEnd: number, queryStart: number | Tensor): Tensor {
  return engine.tidy(() => {
    const b = keyStart.shape[0];
    const column = typeof queryStart === "number" ? fill([b, 1], queryStart, keyStart.backend) : broadcastTo(reshape(queryStart, [1, 1]), [b, 1]);
    return concat([reshape(keyStart, [b, 1]), fill([b, 1], keyEnd, keyStart.backend), column], 1);
  });
}

function fill(shape: number[], value: number, backend: Tensor["backend"]): Tensor {
  return engine.makeTensor(new Int32Array(shape[0] * shape[1]).fill(value), shape, "i32", backend);
}

export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
}

/** AdamW hyperparameters where the learning rate and the step may be scalar tensors (captured training steps). */
export interface AdamWTensorStep extends Omit<AdamWStep, "lr" | "step"> {
  lr: number | Tensor;
  step: number | Tensor;
  /**
   * The bias corrections [1 - beta1^t, 1 - beta2^t] (f32 [2]) computed on the host in f64, as the fused
   * kernel does; without them they are computed on the device from `step` in f32.
   */
  corrections?: Tensor;
}

/**
 * One AdamW update: returns [param', m', v'] (no gradient recorded). With a tensor lr or step (values
 * that change between runs of one captured graph) the update is composed from elementwise ops.
 */
export function adamwUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: AdamWStep | AdamWTensorStep): [Tensor, Tensor, Tensor] {
  if (typeof step.lr === "number" && typeof step.step === "number") {
    return engine.noGrad(() => runFused("AdamW", [param, grad, m, v], step as AdamWStep)) as [Tensor, Tensor, Tensor];
  }
  return engine.noGrad(() => adamwWithTensors(param, grad, m, v, step));
}

/** AdamW (Loshchilov & Hutter, Algorithm 2) with bias corrections 1 - beta^t computed on the device from a step tensor. */
function adamwWithTensors(p: Tensor, g: Tensor, m: Tensor, v: Tensor, { lr, step, beta1, beta2, eps, weightDecay, corrections }: AdamWTensorStep): [Tensor, Tensor, Tensor] {
  const m1 = engine.tidy(() => add(mul(m, beta1), mul(g, 1 - beta1)));
  const v1 = engine.tidy(() => add(mul(v, beta2), mul(mul(g, g), 1 - beta2)));
  const p1 = engine.tidy(() => {
    let c1: Tensor;
    let c2: Tensor;
    if (corrections) [c1, c2] = split(reshape(corrections, [2]), 2, 0).map((c) => reshape(c, []));
    else {
      const t = typeof step === "number" ? scalar(step, "f32", p.backend) : step;
      c1 = sub(1, pow(scalar(beta1, "f32", p.backend), t));
      c2 = sub(1, pow(scalar(beta2, "f32", p.backend), t));
    }
    const update = add(div(div(m1, c1), add(sqrt(div(v1, c2)), eps)), mul(p, weightDecay));
    return sub(p, mul(update, lr));
  });
  return [p1, m1, v1];
}

/**
 * cache [..., T, D] with rows start .. start + S - 1 of axis rank - 2 replaced by update [..., S, D]
 * (start: i32 [1], data, so one captured decoding step serves every position; clamped to [0, T - S]).
 */
export function cacheWrite(cache: Tensor, update: Tensor, start: Tensor): Tensor {
  return runFused("CacheWrite", [cache, update, start], {})[0];
}
