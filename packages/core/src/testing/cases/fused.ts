/**
 * Cases of the fused kernels: RMSNorm, RoPE (interleaved and half-split), cross-entropy, attention
 * (causal, GQA, queryOffset > 0) and one AdamW step. Parity also runs each against core's composed fallback.
 */
import { kernelCase } from "./case.ts";
import type { AnyKernelCase } from "./case.ts";
import { f32, i32, ints, randn, tabulate, uniform } from "./inputs.ts";

// ---- RMSNorm: y = x / sqrt(mean(x^2) + eps) * w ----

function rmsNormRows(x: number[], w: number[], eps: number): number[] {
  const d = w.length;
  const out: number[] = [];
  for (let r = 0; r < x.length; r += d) {
    const row = x.slice(r, r + d);
    const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / d + eps);
    out.push(...row.map((v, j) => (v / rms) * w[j]));
  }
  return out;
}

const rmsNormCases: AnyKernelCase[] = [
  kernelCase({ name: "RMSNorm: golden", kernel: "RMSNorm", attrs: { eps: 1e-6 }, inputs: [f32([1, 4], [1, 2, 3, 4]), f32([4], [1, 1, 2, 0.5])], expected: [{ values: rmsNormRows([1, 2, 3, 4], [1, 1, 2, 0.5], 1e-6) }] }),
  // A zero row stays zero (eps keeps the denominator positive).
  kernelCase({ name: "RMSNorm: golden zero row", kernel: "RMSNorm", attrs: { eps: 1e-5 }, inputs: [f32([2, 2], [3, 4, 0, 0]), f32([2], [1, -1])], expected: [{ values: rmsNormRows([3, 4, 0, 0], [1, -1], 1e-5) }], gradient: false }),
  kernelCase({ name: "RMSNorm: random [2,3,4]", kernel: "RMSNorm", attrs: { eps: 1e-6 }, inputs: [randn([2, 3, 4]), uniform([4], 0.5, 1.5)] }),
  kernelCase({ name: "RMSNorm: large values", kernel: "RMSNorm", attrs: { eps: 1e-6 }, inputs: [randn([2, 8], 1000), randn([8])], gradient: false }),
];

// ---- RoPE ----

/** cos / sin tables [S, D/2] of angle s * base^(-2i/D) (RoFormer eq. 15). */
const angle = (s: number, i: number, d: number): number => s * Math.pow(10000, (-2 * i) / d);

const ropeCases: AnyKernelCase[] = [
  // x = [1, 2, 3, 4]; pair 0 turns by 90 degrees, pair 1 by 0.
  // Interleaved pairs (x0, x1), (x2, x3): (1, 2) -> (-2, 1).  Half-split pairs (x0, x2), (x1, x3): (1, 3) -> (-3, 1).
  kernelCase({ name: "RoPE: golden interleaved", kernel: "RoPE", attrs: { interleaved: true }, inputs: [f32([1, 1, 1, 4], [1, 2, 3, 4]), f32([1, 2], [0, 1]), f32([1, 2], [1, 0])], expected: [{ values: [-2, 1, 3, 4] }] }),
  kernelCase({ name: "RoPE: golden half-split", kernel: "RoPE", attrs: { interleaved: false }, inputs: [f32([1, 1, 1, 4], [1, 2, 3, 4]), f32([1, 2], [0, 1]), f32([1, 2], [1, 0])], expected: [{ values: [-3, 2, 1, 4] }] }),
  ...[true, false].map((interleaved) =>
    kernelCase({
      name: `RoPE: random [2,3,2,4] ${interleaved ? "interleaved" : "half-split"}`,
      kernel: "RoPE",
      attrs: { interleaved },
      inputs: [randn([2, 3, 2, 4]), tabulate([3, 2], (s, i) => Math.cos(angle(s, i, 4))), tabulate([3, 2], (s, i) => Math.sin(angle(s, i, 4)))],
    }),
  ),
  kernelCase({
    name: "RoPE: [1,4,1,8] at positions 100..103",
    kernel: "RoPE",
    attrs: { interleaved: false },
    inputs: [randn([1, 4, 1, 8]), tabulate([4, 4], (s, i) => Math.cos(angle(s + 100, i, 8))), tabulate([4, 4], (s, i) => Math.sin(angle(s + 100, i, 8)))],
  }),
];

// ---- CrossEntropy: -log softmax(logits)[label] ----

function crossEntropyRows(logits: number[], labels: number[], v: number): number[] {
  return labels.map((label, r) => {
    const row = logits.slice(r * v, (r + 1) * v);
    const m = Math.max(...row);
    return m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)) - row[label];
  });
}

const CE_LOGITS = [0, 0, 0, 0, 1000, 0, -1000, 0, 1, 2, 3, 4, 0, -Infinity, 0, 0];
const CE_LABELS = [2, 1, 3, 0];

const crossEntropyCases: AnyKernelCase[] = [
  // Uniform row: ln 4. Logits 1000 and -1000: no overflow. A masked (-inf) logit off the label.
  kernelCase({ name: "CrossEntropy: golden", kernel: "CrossEntropy", attrs: {}, inputs: [f32([4, 4], CE_LOGITS), i32([4], CE_LABELS)], expected: [{ shape: [4], values: crossEntropyRows(CE_LOGITS, CE_LABELS, 4) }], gradient: false }),
  kernelCase({ name: "CrossEntropy: random [3,5]", kernel: "CrossEntropy", attrs: {}, inputs: [randn([3, 5], 2), ints([3], 0, 5)] }),
  kernelCase({ name: "CrossEntropy: [8,32] vocabulary", kernel: "CrossEntropy", attrs: {}, inputs: [randn([8, 32], 3), ints([8], 0, 32)], gradient: false }),
];

// ---- Attention ----

const attentionCases: AnyKernelCase[] = [
  // Scores [0, ln 2] weigh v = [3, 6] by [1/3, 2/3]: 5. Causal from offset 0: query 0 sees only key 0: 3.
  kernelCase({ name: "Attention: golden causal", kernel: "Attention", attrs: { scale: 1, causal: true, queryOffset: 0 }, inputs: [f32([1, 1, 2, 1], [1, 1]), f32([1, 1, 2, 1], [0, Math.LN2]), f32([1, 1, 2, 1], [3, 6])], expected: [{ shape: [1, 1, 2, 1], values: [3, 5] }] }),
  kernelCase({ name: "Attention: golden non-causal", kernel: "Attention", attrs: { scale: 1, causal: false, queryOffset: 0 }, inputs: [f32([1, 1, 2, 1], [1, 1]), f32([1, 1, 2, 1], [0, Math.LN2]), f32([1, 1, 2, 1], [3, 6])], expected: [{ values: [5, 5] }] }),
  // Query head h reads kv head floor(h / (H / Hkv)): heads 0,1 -> kv 0 and heads 2,3 -> kv 1 (not h mod Hkv).
  kernelCase({ name: "Attention: golden GQA head mapping", kernel: "Attention", attrs: { scale: 1, causal: false, queryOffset: 0 }, inputs: [f32([1, 4, 1, 1], [1, 2, 3, 4]), f32([1, 2, 1, 1], [1, 1]), f32([1, 2, 1, 1], [10, 20])], expected: [{ shape: [1, 4, 1, 1], values: [10, 10, 20, 20] }] }),
  // Two query heads on one kv head: head 0 weighs [1/3, 2/3], head 1 (negated query) [2/3, 1/3].
  kernelCase({ name: "Attention: golden GQA weights", kernel: "Attention", attrs: { scale: 1, causal: false, queryOffset: 0 }, inputs: [f32([1, 2, 1, 1], [1, -1]), f32([1, 1, 2, 1], [0, Math.LN2]), f32([1, 1, 2, 1], [3, 6])], expected: [{ values: [5, 4] }] }),
  kernelCase({
    name: "Attention: causal GQA H=4 Hkv=2, queryOffset 3",
    kernel: "Attention",
    attrs: { scale: 0.5, causal: true, queryOffset: 3 },
    inputs: [randn([1, 4, 2, 4]), randn([1, 2, 5, 4]), randn([1, 2, 5, 3])],
  }),
  kernelCase({ name: "Attention: causal S = T, batch 2, H=2 Hkv=1", kernel: "Attention", attrs: { scale: 0.7, causal: true, queryOffset: 0 }, inputs: [randn([2, 2, 3, 2]), randn([2, 1, 3, 2]), randn([2, 1, 3, 2])] }),
  kernelCase({ name: "Attention: non-causal H = Hkv = 2", kernel: "Attention", attrs: { scale: 0.5, causal: false, queryOffset: 0 }, inputs: [randn([1, 2, 3, 2]), randn([1, 2, 4, 2]), randn([1, 2, 4, 3])] }),
  kernelCase({ name: "Attention: causal decode, one query at the end", kernel: "Attention", attrs: { scale: 0.5, causal: true, queryOffset: 3 }, inputs: [randn([2, 2, 1, 4]), randn([2, 1, 4, 4]), randn([2, 1, 4, 2])] }),
  // Scores in the hundreds: the softmax must subtract its max.
  kernelCase({ name: "Attention: large scores", kernel: "Attention", attrs: { scale: 1, causal: true, queryOffset: 1 }, inputs: [randn([1, 2, 3, 4], 10), randn([1, 2, 4, 4], 10), randn([1, 2, 4, 2])], gradient: false, tolerance: { rtol: 1e-3, atol: 1e-4 } }),
  ...boundedAttentionCases(),
];

/**
 * Per-row bounds (keyStart, keyEnd, queryStart): left padding, right padding, query columns as data,
 * and padding queries that see no key (output 0).
 */
function boundedAttentionCases(): AnyKernelCase[] {
  return [
    // Row 0 (1, 3, 1): query 0 at column 1 sees key 1 only: 6; query 1 at column 2 sees keys 1, 2 with equal scores: 7.5.
    // Row 1 (0, 2, 0): query 0 sees key 0: 3; query 1 sees keys 0, 1 weighed [1/3, 2/3]: 5; key 2 (score 5, value 100) is right padding.
    kernelCase({
      name: "Attention: golden per-row bounds, left and right padding",
      kernel: "Attention",
      attrs: { scale: 1, causal: true, queryOffset: 0 },
      inputs: [f32([2, 1, 2, 1], [1, 1, 1, 1]), f32([2, 1, 3, 1], [0, Math.LN2, Math.LN2, 0, Math.LN2, 5]), f32([2, 1, 3, 1], [3, 6, 9, 3, 6, 100]), i32([2, 3], [1, 3, 1, 0, 2, 0])],
      expected: [{ shape: [2, 1, 2, 1], values: [6, 7.5, 3, 5] }],
    }),
    // (1, 3, 0): query 0 at column 0 sees no key (keys start at 1): 0; query 1 at column 1 sees key 1: 6.
    kernelCase({
      name: "Attention: golden padding query sees no key",
      kernel: "Attention",
      attrs: { scale: 1, causal: true, queryOffset: 0 },
      inputs: [f32([1, 1, 2, 1], [1, 1]), f32([1, 1, 3, 1], [0, Math.LN2, 0]), f32([1, 1, 3, 1], [3, 6, 9]), i32([1, 3], [1, 3, 0])],
      expected: [{ values: [0, 6] }],
    }),
    // Non-causal over keys [1, 3), with queryOffset 5 (unused without causality): both queries average keys 1 and 2 (equal scores).
    kernelCase({
      name: "Attention: golden non-causal bounds",
      kernel: "Attention",
      attrs: { scale: 1, causal: false, queryOffset: 5 },
      inputs: [f32([1, 1, 2, 1], [1, 2]), f32([1, 1, 4, 1], [9, 0, 0, 9]), f32([1, 1, 4, 1], [100, 4, 8, 100]), i32([1, 3], [1, 3, 0])],
      expected: [{ values: [6, 6] }],
    }),
    // queryOffset adds to queryStart: query 0 of the row sits at column 1 + 1 = 2 and sees keys 0..2 (values 3, 6, 9, equal scores): 6.
    kernelCase({
      name: "Attention: golden queryOffset adds to queryStart",
      kernel: "Attention",
      attrs: { scale: 1, causal: true, queryOffset: 1 },
      inputs: [f32([1, 1, 1, 1], [0]), f32([1, 1, 4, 1], [1, 2, 3, 4]), f32([1, 1, 4, 1], [3, 6, 9, 100]), i32([1, 3], [0, 4, 1])],
      expected: [{ values: [6] }],
    }),
    // Left-padded prefill of GQA heads (H=4, Hkv=2): rows padded by 0, 2 and 4 (row 2's first two queries see nothing), row 1 right-padded at 4.
    kernelCase({
      name: "Attention: bounds, left-padded GQA prefill with padding queries",
      kernel: "Attention",
      attrs: { scale: 0.6, causal: true, queryOffset: 0 },
      inputs: [randn([3, 4, 5, 3]), randn([3, 2, 6, 3]), randn([3, 2, 6, 2]), i32([3, 3], [0, 6, 1, 2, 4, 1, 4, 6, 1])],
    }),
    // One decode step at data column 5 of a static cache of 8 columns (columns 6, 7 unwritten): rows padded by 0, 3.
    kernelCase({
      name: "Attention: bounds, static-cache decode step",
      kernel: "Attention",
      attrs: { scale: 0.5, causal: true, queryOffset: 0 },
      inputs: [randn([2, 2, 1, 4]), randn([2, 1, 8, 4], 3), randn([2, 1, 8, 2]), i32([2, 3], [0, 8, 5, 3, 8, 5])],
    }),
    kernelCase({
      name: "Attention: bounds, non-causal GQA with right padding",
      kernel: "Attention",
      attrs: { scale: 0.5, causal: false, queryOffset: 0 },
      inputs: [randn([2, 2, 3, 2]), randn([2, 1, 5, 2]), randn([2, 1, 5, 3]), i32([2, 3], [0, 3, 0, 1, 5, 0])],
    }),
  ];
}

// ---- AdamW (Loshchilov & Hutter, Algorithm 2) ----

interface AdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
}

/** One AdamW step in f64, element by element: [param', m', v']. */
function adamwStep(p: number[], g: number[], m: number[], v: number[], a: AdamWAttrs): number[][] {
  const m1 = m.map((mi, i) => a.beta1 * mi + (1 - a.beta1) * g[i]);
  const v1 = v.map((vi, i) => a.beta2 * vi + (1 - a.beta2) * g[i] * g[i]);
  const p1 = p.map((pi, i) => {
    const mHat = m1[i] / (1 - a.beta1 ** a.step);
    const vHat = v1[i] / (1 - a.beta2 ** a.step);
    return pi - a.lr * (mHat / (Math.sqrt(vHat) + a.eps) + a.weightDecay * pi);
  });
  return [p1, m1, v1];
}

const STEP1: AdamWAttrs = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };
const STEP3: AdamWAttrs = { lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, step: 3 };
const P3 = [0.5, -1, 2, 0];
const G3 = [0.1, -0.3, 0, 2];
const M3 = [0.05, -0.1, 0.2, 0];
const V3 = [0.01, 0.02, 0.005, 0];

const adamwCases: AnyKernelCase[] = [
  // From zero moments the first step moves each parameter by lr * (sign(g) + wd * p):
  // 1 - 0.1 * (1 + 0.01) = 0.899 and -2 - 0.1 * (-1 - 0.02) = -1.898.
  kernelCase({
    name: "AdamW: golden first step",
    kernel: "AdamW",
    attrs: STEP1,
    inputs: [f32([2], [1, -2]), f32([2], [0.5, -1]), f32([2], [0, 0]), f32([2], [0, 0])],
    expected: [{ values: [0.899, -1.898] }, { values: [0.05, -0.1] }, { values: [0.00025, 0.001] }],
  }),
  kernelCase({
    name: "AdamW: golden step 3 with moments and a zero gradient",
    kernel: "AdamW",
    attrs: STEP3,
    inputs: [f32([2, 2], P3), f32([2, 2], G3), f32([2, 2], M3), f32([2, 2], V3)],
    expected: adamwStep(P3, G3, M3, V3, STEP3).map((values) => ({ shape: [2, 2], values })),
  }),
  kernelCase({ name: "AdamW: random [2,3]", kernel: "AdamW", attrs: { ...STEP3, step: 10 }, inputs: [randn([2, 3]), randn([2, 3]), randn([2, 3], 0.1), uniform([2, 3], 0, 0.1)] }),
];

// ---- CacheWrite: rows start .. start + S - 1 of axis rank - 2 replaced, start clamped to [0, T - S] ----

const cacheWriteCases: AnyKernelCase[] = [
  // Cache [1, 4, 2] rows 0..3; the update's two rows land at rows 1 and 2.
  kernelCase({ name: "CacheWrite: golden rows 1..2", kernel: "CacheWrite", attrs: {}, inputs: [f32([1, 4, 2], [0, 1, 2, 3, 4, 5, 6, 7]), f32([1, 2, 2], [-1, -2, -3, -4]), i32([1], [1])], expected: [{ values: [0, 1, -1, -2, -3, -4, 6, 7] }] }),
  // Start 3 with two rows would pass the end: clamped to 2.
  kernelCase({ name: "CacheWrite: golden start clamped to T - S", kernel: "CacheWrite", attrs: {}, inputs: [f32([1, 4, 1], [0, 1, 2, 3]), f32([1, 2, 1], [8, 9]), i32([1], [3])], expected: [{ values: [0, 1, 8, 9] }] }),
  kernelCase({ name: "CacheWrite: golden negative start clamped to 0", kernel: "CacheWrite", attrs: {}, inputs: [f32([2, 3, 1], [0, 1, 2, 3, 4, 5]), f32([2, 1, 1], [7, 8]), i32([1], [-2])], expected: [{ values: [7, 1, 2, 8, 4, 5] }] }),
  kernelCase({ name: "CacheWrite: random [2,3,5,4], one row at 4", kernel: "CacheWrite", attrs: {}, inputs: [randn([2, 3, 5, 4]), randn([2, 3, 1, 4]), i32([1], [4])] }),
  kernelCase({ name: "CacheWrite: random [2,6,3], three rows at 2", kernel: "CacheWrite", attrs: {}, inputs: [randn([2, 6, 3]), randn([2, 3, 3]), i32([1], [2])] }),
];

export const fusedCases: AnyKernelCase[] = [...rmsNormCases, ...ropeCases, ...crossEntropyCases, ...attentionCases, ...adamwCases, ...cacheWriteCases];
