/**
 * Cases of the absorbed MLA attention kernel (DeepSeek-V3 MLA): golden values by hand, and random cases
 * (prefill with causality, single-token decode, a decode batch) that parity compares with the composed fallback.
 */
import { kernelCase } from "./case.ts";
import type { AnyKernelCase } from "./case.ts";
import { f32, i32, randn } from "./inputs.ts";

export const mlaAttentionCases: AnyKernelCase[] = [
  // One head, Dc = 1, Dr = 1, two tokens: scores (1*0 + 1*0, 1*0 + 1*ln 2) weigh c = [3, 6] by [1/3, 2/3]: 5.
  // Causal: query 0 (column 0) sees only token 0: 3.
  kernelCase({
    name: "MLAAttention: golden causal",
    kernel: "MLAAttention",
    attrs: { scale: 1, causal: true, queryOffset: 0 },
    inputs: [f32([1, 1, 2, 1], [0, 0]), f32([1, 1, 2, 1], [1, 1]), f32([1, 2, 1], [3, 6]), f32([1, 2, 1], [0, Math.LN2])],
    expected: [{ shape: [1, 1, 2, 1], values: [3, 5] }],
  }),
  // The latent score counts too: qLat . c = [3, 6] * (ln 2 / 3) = [ln 2, 2 ln 2] vs qPe . kPe = [ln 2, 0]: equal scores, mean of c.
  kernelCase({
    name: "MLAAttention: golden latent and rope scores add",
    kernel: "MLAAttention",
    attrs: { scale: 1, causal: false, queryOffset: 0 },
    inputs: [f32([1, 1, 1, 1], [Math.LN2 / 3]), f32([1, 1, 1, 1], [1]), f32([1, 2, 1], [3, 6]), f32([1, 2, 1], [Math.LN2, 0])],
    expected: [{ values: [4.5] }],
  }),
  kernelCase({ name: "MLAAttention: causal prefill B=2 H=3", kernel: "MLAAttention", attrs: { scale: 0.4, causal: true, queryOffset: 0 }, inputs: [randn([2, 3, 4, 5]), randn([2, 3, 4, 2]), randn([2, 4, 5]), randn([2, 4, 2])] }),
  kernelCase({ name: "MLAAttention: decode, one query after 5 cached tokens", kernel: "MLAAttention", attrs: { scale: 0.5, causal: true, queryOffset: 5 }, inputs: [randn([2, 2, 1, 6]), randn([2, 2, 1, 4]), randn([2, 6, 6]), randn([2, 6, 4])] }),
  // Per-row bounds (keyStart, keyEnd, queryStart): row 0 (1, 2, 1): query 0 at column 1 sees token 1 only: 6;
  // row 1 (0, 1, 0): its query sees token 0: 3; row 1's token 1 (value 100) is right padding.
  kernelCase({
    name: "MLAAttention: golden per-row bounds",
    kernel: "MLAAttention",
    attrs: { scale: 1, causal: true, queryOffset: 0 },
    inputs: [f32([2, 1, 1, 1], [0, 0]), f32([2, 1, 1, 1], [1, 1]), f32([2, 2, 1], [3, 6, 3, 100]), f32([2, 2, 1], [0, Math.LN2, 0, 9]), i32([2, 3], [1, 2, 1, 0, 1, 0])],
    expected: [{ shape: [2, 1, 1, 1], values: [6, 3] }],
  }),
  // (2, 3, 0): query 0 at column 0 sees nothing: 0.
  kernelCase({
    name: "MLAAttention: golden padding query sees no token",
    kernel: "MLAAttention",
    attrs: { scale: 1, causal: true, queryOffset: 0 },
    inputs: [f32([1, 1, 1, 1], [0]), f32([1, 1, 1, 1], [1]), f32([1, 3, 1], [3, 6, 9]), f32([1, 3, 1], [0, 0, 0]), i32([1, 3], [2, 3, 0])],
    expected: [{ values: [0] }],
  }),
  kernelCase({ name: "MLAAttention: bounds, left-padded prefill B=3 H=2", kernel: "MLAAttention", attrs: { scale: 0.4, causal: true, queryOffset: 0 }, inputs: [randn([3, 2, 4, 5]), randn([3, 2, 4, 2]), randn([3, 4, 5]), randn([3, 4, 2]), i32([3, 3], [0, 4, 0, 1, 4, 0, 3, 4, 0])] }),
  kernelCase({ name: "MLAAttention: bounds, static-cache decode step", kernel: "MLAAttention", attrs: { scale: 0.5, causal: true, queryOffset: 0 }, inputs: [randn([2, 3, 1, 6]), randn([2, 3, 1, 4]), randn([2, 7, 6], 2), randn([2, 7, 4]), i32([2, 3], [2, 7, 4, 0, 7, 4])] }),
  kernelCase({ name: "MLAAttention: two new tokens after 3 cached", kernel: "MLAAttention", attrs: { scale: 0.3, causal: true, queryOffset: 3 }, inputs: [randn([1, 2, 2, 4]), randn([1, 2, 2, 2]), randn([1, 5, 4]), randn([1, 5, 2])] }),
];
