/**
 * The kernel contract: every kernel's name, attributes and how its output shapes and dtypes follow
 * from its inputs (kernels are pure and shape-inferable; see docs/backends.md).
 *
 * Primitive kernels must be implemented by every backend. Fused kernels are optional: core has a
 * composed fallback for each (see ops/fused), so a backend only adds the ones it does faster.
 */
import type { DType } from "../tensor/dtype.ts";

export const UNARY_KERNELS = [
  "Neg", "Exp", "Log", "Sqrt", "Rsqrt", "Tanh", "Sigmoid", "Silu", "Relu", "Abs", "Sin", "Cos",
] as const;
export type UnaryKernel = (typeof UNARY_KERNELS)[number];

export const ARITHMETIC_KERNELS = ["Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum"] as const;
export type ArithmeticKernel = (typeof ARITHMETIC_KERNELS)[number];

export const COMPARISON_KERNELS = ["Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"] as const;
export type ComparisonKernel = (typeof COMPARISON_KERNELS)[number];

export type BinaryKernel = ArithmeticKernel | ComparisonKernel;

type NoAttrs = Record<string, never>;

/** Attributes of each primitive kernel. Inputs are listed in the comment; all are positional. */
export interface PrimitiveAttrs extends Record<UnaryKernel, NoAttrs>, Record<BinaryKernel, NoAttrs> {
  /** (x) -> clamp(x, min, max) */
  Clamp: { min: number; max: number };
  /** (cond: bool, a, b) -> cond ? a : b, all three broadcast */
  Where: NoAttrs;
  /** (x) -> x as dtype; float -> int truncates toward zero; any -> bool is x != 0 */
  Cast: { dtype: DType };
  /** (x) -> sum over axes (sorted, non-negative) */
  Sum: { axes: number[]; keepDims: boolean };
  /** (x) -> max over axes */
  Max: { axes: number[]; keepDims: boolean };
  /** (x) -> i32 index of the first maximum along axis (axis removed) */
  ArgMax: { axis: number };
  /** (x) -> softmax along the last axis */
  Softmax: NoAttrs;
  /** (x) -> log-softmax along the last axis */
  LogSoftmax: NoAttrs;
  /** (a [...batch, M, K], b [...batch, K, N]) -> [...batch, M, N]; batch dims broadcast; transposes swap the last two dims */
  MatMul: { transposeA: boolean; transposeB: boolean };
  /** (x, indices: i32) -> x.shape[:axis] + indices.shape + x.shape[axis+1:] */
  Gather: { axis: number };
  /** (updates, indices: i32) -> zeros with `size` along axis, updates added at indices (inverse of Gather) */
  ScatterAdd: { axis: number; size: number };
  /** (x, indices: i32) -> out[..., j, ...] = x[..., indices[..., j, ...], ...] along axis; indices same rank as x */
  TakeAlongAxis: { axis: number };
  /** (updates, indices: i32) -> zeros with `size` along axis, updates added at indices (inverse of TakeAlongAxis) */
  PutAlongAxisAdd: { axis: number; size: number };
  /** (x) -> permuted axes: out.shape[i] = x.shape[perm[i]] */
  Transpose: { perm: number[] };
  /** (x) -> x[begin : begin + size] per axis */
  Slice: { begin: number[]; size: number[] };
  /** (x) -> x padded with `value`, paddings[i] = [before, after] */
  Pad: { paddings: [number, number][]; value: number };
  /** (x0, x1, ...) -> concatenation along axis */
  Concat: { axis: number };
  /** (x) -> [values, indices: i32] of the k largest along the last axis, sorted descending (ties: lower index first) */
  TopK: { k: number };
  /** (x) -> inclusive (or exclusive) cumulative sum along axis, optionally from the end */
  Cumsum: { axis: number; exclusive: boolean; reverse: boolean };
  /** (indices: i32) -> f32 indices.shape + [depth]; out-of-range indices give an all-zero row */
  OneHot: { depth: number };
  /** (logits [B, V] f32) -> i32 [B, numSamples], sampled from softmax(logits) with the counter-based generator */
  Multinomial: { numSamples: number; seed: number };
}

export type PrimitiveKernel = keyof PrimitiveAttrs;

/** Attributes of the optional fused kernels. */
export interface FusedAttrs {
  /** (x [..., D], weight [D]) -> x / sqrt(mean(x^2) + eps) * weight */
  RMSNorm: { eps: number };
  /** (x [B, S, H, D], cos [S, D/2], sin [S, D/2]) -> rotary embedding; interleaved pairs (2i, 2i+1) or half-split (i, i + D/2) */
  RoPE: { interleaved: boolean };
  /** (logits [N, V], labels: i32 [N]) -> f32 [N]: -log softmax(logits)[label] */
  CrossEntropy: NoAttrs;
  /**
   * (q [B, H, S, Dk], k [B, Hkv, T, Dk], v [B, Hkv, T, Dv], bounds?: i32 [B, 3]) -> [B, H, S, Dv].
   * Head h reads kv head floor(h / (H / Hkv)). Causal: query s sits at column queryOffset + s and sees keys t <= it.
   *
   * Per-row bounds (padded batches; see docs/backends.md, "Attention over padded rows"): with the
   * optional 4th input, row b = (keyStart, keyEnd, queryStart) sees only the keys keyStart <= t < keyEnd
   * (left padding lies before keyStart, right padding from keyEnd on), and its query s sits at column
   * queryOffset + queryStart + s (so a step's query columns can be data: one captured decoding step
   * serves every position). Causal then also hides the keys after the query. Bounds are clamped to
   * [0, T]; a query that sees no key at all (a padding query) returns 0, with gradient 0.
   */
  Attention: { scale: number; causal: boolean; queryOffset: number };
  /**
   * Absorbed multi-head latent attention (DeepSeek-V3 MLA; MQA over a latent cache):
   * (qLat [B, H, S, Dc], qPe [B, H, S, Dr], c [B, T, Dc], kPe [B, T, Dr], bounds?: i32 [B, 3]) -> [B, H, S, Dc] =
   * softmax((qLat . c_t + qPe . kPe_t) * scale) weighted sum of c_t. Causal and per-row bounds as Attention.
   */
  MLAAttention: { scale: number; causal: boolean; queryOffset: number };
  /**
   * (cache [..., T, D], update [..., S, D], start: i32 [1]) -> cache with rows start .. start + S - 1 of
   * axis rank - 2 replaced by the update's rows; start is clamped to [0, T - S] so the update fits (as
   * XLA's DynamicUpdateSlice). A decoding step's write into a preallocated KV cache at a position given
   * as data, so the step's shapes never change.
   */
  CacheWrite: NoAttrs;
  /** (param, grad, m, v) -> [param', m', v'] one AdamW step (decoupled weight decay), bias-corrected with `step` (1-based) */
  AdamW: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number };
}

export type FusedKernel = keyof FusedAttrs;
export type KernelName = PrimitiveKernel | FusedKernel;
export type KernelAttrs = PrimitiveAttrs & FusedAttrs;

export const PRIMITIVE_KERNELS: readonly PrimitiveKernel[] = [
  ...UNARY_KERNELS,
  ...ARITHMETIC_KERNELS,
  ...COMPARISON_KERNELS,
  "Clamp", "Where", "Cast", "Sum", "Max", "ArgMax", "Softmax", "LogSoftmax", "MatMul",
  "Gather", "ScatterAdd", "TakeAlongAxis", "PutAlongAxisAdd", "Transpose", "Slice", "Pad", "Concat",
  "TopK", "Cumsum", "OneHot", "Multinomial",
];

export const FUSED_KERNELS: readonly FusedKernel[] = ["RMSNorm", "RoPE", "CrossEntropy", "Attention", "AdamW", "MLAAttention", "CacheWrite"];

/** Kernels whose outputs carry no gradient (integer results, sampling, optimizer updates). */
export const NON_DIFFERENTIABLE_KERNELS: ReadonlySet<KernelName> = new Set<KernelName>([
  ...COMPARISON_KERNELS, "ArgMax", "TopK", "Cumsum", "OneHot", "Multinomial", "AdamW",
]);
