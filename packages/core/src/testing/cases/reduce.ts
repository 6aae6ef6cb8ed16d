/** Cases of the reductions and scans: sum, max, argmax, softmax, log-softmax, top-k, cumsum. */
import { kernelCase } from "./case.ts";
import type { AnyKernelCase } from "./case.ts";
import { distinct, f32, i32, ints, randn } from "./inputs.ts";

const X23 = f32([2, 3], [1, 2, 3, 4, 5, 6]);

const sumCases: AnyKernelCase[] = [
  kernelCase({ name: "Sum: golden axis 1", kernel: "Sum", attrs: { axes: [1], keepDims: false }, inputs: [X23], expected: [{ shape: [2], values: [6, 15] }] }),
  kernelCase({ name: "Sum: golden axis 0 keepDims", kernel: "Sum", attrs: { axes: [0], keepDims: true }, inputs: [X23], expected: [{ shape: [1, 3], values: [5, 7, 9] }] }),
  kernelCase({ name: "Sum: golden all axes", kernel: "Sum", attrs: { axes: [0, 1], keepDims: false }, inputs: [X23], expected: [{ shape: [], values: [21] }] }),
  kernelCase({ name: "Sum: no axes is the identity", kernel: "Sum", attrs: { axes: [], keepDims: false }, inputs: [X23], expected: [{ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }] }),
  kernelCase({ name: "Sum: [2,3,4] axes [0,2] keepDims", kernel: "Sum", attrs: { axes: [0, 2], keepDims: true }, inputs: [randn([2, 3, 4])] }),
  kernelCase({ name: "Sum: [2,3,4] axis 1", kernel: "Sum", attrs: { axes: [1], keepDims: false }, inputs: [randn([2, 3, 4])] }),
  kernelCase({ name: "Sum: 256 terms per row", kernel: "Sum", attrs: { axes: [1], keepDims: false }, inputs: [randn([2, 256])], gradient: false, tolerance: { atol: 1e-4 } }),
  // Reducing an empty axis gives zeros; reducing a non-empty axis of an empty tensor gives an empty result.
  kernelCase({ name: "Sum: empty axis of [2,0,3]", kernel: "Sum", attrs: { axes: [1], keepDims: false }, inputs: [f32([2, 0, 3], [])], expected: [{ shape: [2, 3], values: [0, 0, 0, 0, 0, 0] }] }),
  kernelCase({ name: "Sum: empty axes [0,1] of [2,0,3] keepDims", kernel: "Sum", attrs: { axes: [0, 1], keepDims: true }, inputs: [f32([2, 0, 3], [])], expected: [{ shape: [1, 1, 3], values: [0, 0, 0] }] }),
  kernelCase({ name: "Sum: all axes of [0,3]", kernel: "Sum", attrs: { axes: [0, 1], keepDims: false }, inputs: [f32([0, 3], [])], expected: [{ shape: [], values: [0] }] }),
  kernelCase({ name: "Sum: axis 2 of [2,0,3]", kernel: "Sum", attrs: { axes: [2], keepDims: false }, inputs: [f32([2, 0, 3], [])], expected: [{ shape: [2, 0], values: [] }] }),
  kernelCase({ name: "Sum: i32", kernel: "Sum", attrs: { axes: [1], keepDims: false }, inputs: [i32([2, 3], [1, -2, 3, 100, 200, -300])], expected: [{ dtype: "i32", values: [2, 0] }] }),
  kernelCase({ name: "Sum: i32 random [3,4,2] axes [0,2]", kernel: "Sum", attrs: { axes: [0, 2], keepDims: false }, inputs: [ints([3, 4, 2], -100, 100)] }),
];

const M23 = f32([2, 3], [1, 5, 3, -2, -7, 0]);

const maxCases: AnyKernelCase[] = [
  kernelCase({ name: "Max: golden axis 1", kernel: "Max", attrs: { axes: [1], keepDims: false }, inputs: [M23], expected: [{ shape: [2], values: [5, 0] }] }),
  kernelCase({ name: "Max: golden axis 0 keepDims", kernel: "Max", attrs: { axes: [0], keepDims: true }, inputs: [M23], expected: [{ shape: [1, 3], values: [1, 5, 3] }] }),
  kernelCase({ name: "Max: golden all axes", kernel: "Max", attrs: { axes: [0, 1], keepDims: false }, inputs: [M23], expected: [{ shape: [], values: [5] }] }),
  kernelCase({ name: "Max: no axes is the identity", kernel: "Max", attrs: { axes: [], keepDims: true }, inputs: [M23], expected: [{ shape: [2, 3], values: [1, 5, 3, -2, -7, 0] }] }),
  kernelCase({ name: "Max: -inf entries", kernel: "Max", attrs: { axes: [1], keepDims: false }, inputs: [f32([2, 3], [-Infinity, -Infinity, -5, -Infinity, -Infinity, -Infinity])], expected: [{ values: [-5, -Infinity] }], gradient: false }),
  kernelCase({ name: "Max: NaN propagates", kernel: "Max", attrs: { axes: [1], keepDims: false }, inputs: [f32([2, 3], [1, NaN, 3, 4, 5, 6])], expected: [{ values: [NaN, 6] }], gradient: false }),
  kernelCase({ name: "Max: [2,3,4] axes [0,2] keepDims", kernel: "Max", attrs: { axes: [0, 2], keepDims: true }, inputs: [distinct([2, 3, 4])] }),
  kernelCase({ name: "Max: [2,3,4] axis 1", kernel: "Max", attrs: { axes: [1], keepDims: false }, inputs: [distinct([2, 3, 4])] }),
  // Tied maxima share the gradient equally (pinned by the parity check; no finite differences at a tie).
  kernelCase({ name: "Max: ties share the gradient", kernel: "Max", attrs: { axes: [1], keepDims: false }, inputs: [f32([2, 4], [3, 1, 3, 2, 7, 7, 7, -1])], expected: [{ values: [3, 7] }], gradient: { finiteDifference: false } }),
  kernelCase({ name: "Max: i32", kernel: "Max", attrs: { axes: [0], keepDims: false }, inputs: [i32([2, 3], [1, -5, 7, 2, -6, 7])], expected: [{ dtype: "i32", values: [2, -5, 7] }] }),
];

const argMaxCases: AnyKernelCase[] = [
  // Ties give the first index.
  kernelCase({ name: "ArgMax: golden axis 1 with ties", kernel: "ArgMax", attrs: { axis: 1 }, inputs: [f32([2, 3], [1, 5, 5, 2, -7, 9])], expected: [{ shape: [2], dtype: "i32", values: [1, 2] }] }),
  kernelCase({ name: "ArgMax: golden axis 0", kernel: "ArgMax", attrs: { axis: 0 }, inputs: [f32([2, 3], [1, 5, 5, 2, -7, 9])], expected: [{ shape: [3], dtype: "i32", values: [1, 0, 1] }] }),
  kernelCase({ name: "ArgMax: -inf entries", kernel: "ArgMax", attrs: { axis: 1 }, inputs: [f32([2, 3], [-Infinity, -Infinity, -5, -Infinity, -Infinity, -Infinity])], expected: [{ dtype: "i32", values: [2, 0] }] }),
  kernelCase({ name: "ArgMax: [2,3,4] axis 1", kernel: "ArgMax", attrs: { axis: 1 }, inputs: [randn([2, 3, 4])] }),
  kernelCase({ name: "ArgMax: i32 with ties", kernel: "ArgMax", attrs: { axis: 1 }, inputs: [ints([4, 5], 0, 3)] }),
];

function softmaxRow(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / s);
}

function logSoftmaxRow(x: number[]): number[] {
  const m = Math.max(...x);
  const lse = m + Math.log(x.reduce((p, v) => p + Math.exp(v - m), 0));
  return x.map((v) => v - lse);
}

/** Rows that overflow a naive exp, underflow, tie, or hold a masked (-inf) entry. */
const SOFTMAX_ROWS: { label: string; row: number[] }[] = [
  { label: "golden [1,2,3]", row: [1, 2, 3] },
  { label: "logits 1000, 0, -1000", row: [1000, 0, -1000] },
  { label: "logits 1000, 1000, 999", row: [1000, 1000, 999] },
  { label: "logits -1000, -1000, -1000", row: [-1000, -1000, -1000] },
  { label: "a -inf (masked) entry", row: [0, -Infinity, 0.5] },
];

const softmaxCases: AnyKernelCase[] = (["Softmax", "LogSoftmax"] as const).flatMap((kernel) => [
  ...SOFTMAX_ROWS.map(({ label, row }) =>
    kernelCase({
      name: `${kernel}: ${label}`,
      kernel,
      attrs: {},
      inputs: [f32([1, 3], row)],
      expected: [{ values: kernel === "Softmax" ? softmaxRow(row) : logSoftmaxRow(row) }],
      gradient: label.startsWith("golden") ? undefined : false,
    }),
  ),
  kernelCase({ name: `${kernel}: random [2,5]`, kernel, attrs: {}, inputs: [randn([2, 5], 2)] }),
  kernelCase({ name: `${kernel}: random [2,2,4]`, kernel, attrs: {}, inputs: [randn([2, 2, 4])] }),
  kernelCase({ name: `${kernel}: 1-D [6]`, kernel, attrs: {}, inputs: [randn([6])] }),
]);

const topKCases: AnyKernelCase[] = [
  kernelCase({
    name: "TopK: golden k=3",
    kernel: "TopK",
    attrs: { k: 3 },
    inputs: [f32([2, 5], [1, 5, 2, 4, 3, 0, -1, -2, 7, 6])],
    expected: [{ shape: [2, 3], values: [5, 4, 3, 7, 6, 0] }, { shape: [2, 3], dtype: "i32", values: [1, 3, 4, 3, 4, 0] }],
  }),
  // Ties: equal values keep the lower index first.
  kernelCase({
    name: "TopK: ties keep the lower index first",
    kernel: "TopK",
    attrs: { k: 4 },
    inputs: [f32([1, 6], [3, 1, 3, 2, 3, 0])],
    expected: [{ values: [3, 3, 3, 2] }, { dtype: "i32", values: [0, 2, 4, 3] }],
  }),
  kernelCase({
    name: "TopK: -inf entries",
    kernel: "TopK",
    attrs: { k: 3 },
    inputs: [f32([1, 4], [-Infinity, 1, -Infinity, -Infinity])],
    expected: [{ values: [1, -Infinity, -Infinity] }, { dtype: "i32", values: [1, 0, 2] }],
  }),
  kernelCase({ name: "TopK: k=0", kernel: "TopK", attrs: { k: 0 }, inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6])], expected: [{ shape: [2, 0], values: [] }, { shape: [2, 0], dtype: "i32", values: [] }] }),
  kernelCase({ name: "TopK: k=n sorts [2,3,6]", kernel: "TopK", attrs: { k: 6 }, inputs: [distinct([2, 3, 6])] }),
  kernelCase({ name: "TopK: random k=2 of [4,7]", kernel: "TopK", attrs: { k: 2 }, inputs: [randn([4, 7])] }),
  kernelCase({ name: "TopK: i32 with ties", kernel: "TopK", attrs: { k: 3 }, inputs: [ints([3, 6], 0, 3)] }),
];

const cumsumCases: AnyKernelCase[] = [
  ...([
    [false, false, [1, 3, 6, 10, 5, 11, 18, 26]],
    [true, false, [0, 1, 3, 6, 0, 5, 11, 18]],
    [false, true, [10, 9, 7, 4, 26, 21, 15, 8]],
    [true, true, [9, 7, 4, 0, 21, 15, 8, 0]],
  ] as const).map(([exclusive, reverse, values]) =>
    kernelCase({
      name: `Cumsum: golden axis 1${exclusive ? " exclusive" : ""}${reverse ? " reverse" : ""}`,
      kernel: "Cumsum",
      attrs: { axis: 1, exclusive, reverse },
      inputs: [f32([2, 4], [1, 2, 3, 4, 5, 6, 7, 8])],
      expected: [{ values: [...values] }],
    }),
  ),
  kernelCase({ name: "Cumsum: golden axis 0", kernel: "Cumsum", attrs: { axis: 0, exclusive: false, reverse: false }, inputs: [f32([3, 2], [1, 2, 3, 4, 5, 6])], expected: [{ values: [1, 2, 4, 6, 9, 12] }] }),
  kernelCase({ name: "Cumsum: [3,2,4] axis 1 exclusive reverse", kernel: "Cumsum", attrs: { axis: 1, exclusive: true, reverse: true }, inputs: [randn([3, 2, 4])] }),
  kernelCase({ name: "Cumsum: [3,2,4] axis 0", kernel: "Cumsum", attrs: { axis: 0, exclusive: false, reverse: false }, inputs: [randn([3, 2, 4])] }),
  kernelCase({ name: "Cumsum: i32 axis 1 exclusive", kernel: "Cumsum", attrs: { axis: 1, exclusive: true, reverse: false }, inputs: [i32([2, 3], [1, -2, 3, 10, 20, 30])], expected: [{ dtype: "i32", values: [0, 1, -1, 0, 10, 30] }] }),
];

export const reduceCases: AnyKernelCase[] = [...sumCases, ...maxCases, ...argMaxCases, ...softmaxCases, ...topKCases, ...cumsumCases];
