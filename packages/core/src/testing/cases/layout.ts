/** Cases of the layout kernels: transpose, slice (at the edges), pad, concat (three inputs, empty parts). */
import { kernelCase } from "./case.ts";
import type { AnyKernelCase } from "./case.ts";
import { bool, f32, i32, ints, randn } from "./inputs.ts";

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const transposeCases: AnyKernelCase[] = [
  kernelCase({ name: "Transpose: golden [2,3]", kernel: "Transpose", attrs: { perm: [1, 0] }, inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6])], expected: [{ shape: [3, 2], values: [1, 4, 2, 5, 3, 6] }] }),
  kernelCase({ name: "Transpose: golden [2,2,2] perm [2,0,1]", kernel: "Transpose", attrs: { perm: [2, 0, 1] }, inputs: [f32([2, 2, 2], iota(8))], expected: [{ values: [0, 2, 4, 6, 1, 3, 5, 7] }] }),
  kernelCase({ name: "Transpose: [2,3,4] perm [2,0,1]", kernel: "Transpose", attrs: { perm: [2, 0, 1] }, inputs: [randn([2, 3, 4])] }),
  kernelCase({ name: "Transpose: [2,1,3,2] perm [3,1,0,2]", kernel: "Transpose", attrs: { perm: [3, 1, 0, 2] }, inputs: [randn([2, 1, 3, 2])] }),
  kernelCase({ name: "Transpose: identity perm", kernel: "Transpose", attrs: { perm: [0, 1] }, inputs: [randn([2, 3])] }),
  kernelCase({ name: "Transpose: i32", kernel: "Transpose", attrs: { perm: [1, 0] }, inputs: [ints([3, 4], -9, 9)] }),
  kernelCase({ name: "Transpose: bool", kernel: "Transpose", attrs: { perm: [1, 0] }, inputs: [bool([2, 2], [1, 1, 0, 1])], expected: [{ dtype: "bool", values: [1, 0, 1, 1] }] }),
];

const X34 = f32([3, 4], iota(12));

const sliceCases: AnyKernelCase[] = [
  kernelCase({ name: "Slice: golden interior", kernel: "Slice", attrs: { begin: [1, 1], size: [2, 3] }, inputs: [X34], expected: [{ shape: [2, 3], values: [5, 6, 7, 9, 10, 11] }] }),
  kernelCase({ name: "Slice: last column", kernel: "Slice", attrs: { begin: [0, 3], size: [3, 1] }, inputs: [X34], expected: [{ shape: [3, 1], values: [3, 7, 11] }] }),
  kernelCase({ name: "Slice: last row", kernel: "Slice", attrs: { begin: [2, 0], size: [1, 4] }, inputs: [X34], expected: [{ shape: [1, 4], values: [8, 9, 10, 11] }] }),
  kernelCase({ name: "Slice: empty at the end", kernel: "Slice", attrs: { begin: [3, 0], size: [0, 4] }, inputs: [X34], expected: [{ shape: [0, 4], values: [] }] }),
  kernelCase({ name: "Slice: whole tensor", kernel: "Slice", attrs: { begin: [0, 0], size: [3, 4] }, inputs: [X34], expected: [{ shape: [3, 4], values: iota(12) }] }),
  kernelCase({ name: "Slice: [2,3,4] 3-D", kernel: "Slice", attrs: { begin: [1, 0, 2], size: [1, 3, 2] }, inputs: [randn([2, 3, 4])] }),
  kernelCase({ name: "Slice: i32", kernel: "Slice", attrs: { begin: [1], size: [2] }, inputs: [i32([4], [5, 6, 7, 8])], expected: [{ dtype: "i32", values: [6, 7] }] }),
  kernelCase({ name: "Slice: bool", kernel: "Slice", attrs: { begin: [0, 1], size: [2, 1] }, inputs: [bool([2, 2], [0, 1, 1, 0])], expected: [{ dtype: "bool", values: [1, 0] }] }),
];

const padCases: AnyKernelCase[] = [
  kernelCase({ name: "Pad: golden", kernel: "Pad", attrs: { paddings: [[1, 0], [0, 2]], value: 0 }, inputs: [f32([2, 2], [1, 2, 3, 4])], expected: [{ shape: [3, 4], values: [0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0] }] }),
  kernelCase({ name: "Pad: asymmetric with value -1.5", kernel: "Pad", attrs: { paddings: [[0, 1], [2, 1]], value: -1.5 }, inputs: [randn([2, 3])] }),
  kernelCase({ name: "Pad: middle axis only of [2,1,3]", kernel: "Pad", attrs: { paddings: [[0, 0], [1, 2], [0, 0]], value: 0 }, inputs: [randn([2, 1, 3])] }),
  kernelCase({ name: "Pad: empty input", kernel: "Pad", attrs: { paddings: [[1, 1], [0, 0]], value: 3 }, inputs: [f32([0, 2], [])], expected: [{ shape: [2, 2], values: [3, 3, 3, 3] }] }),
  kernelCase({ name: "Pad: i32 with value 7", kernel: "Pad", attrs: { paddings: [[1, 2]], value: 7 }, inputs: [i32([2], [-1, 1])], expected: [{ dtype: "i32", values: [7, -1, 1, 7, 7] }] }),
  kernelCase({ name: "Pad: bool with value 1", kernel: "Pad", attrs: { paddings: [[1, 0]], value: 1 }, inputs: [bool([2], [0, 0])], expected: [{ dtype: "bool", values: [1, 0, 0] }] }),
];

const concatCases: AnyKernelCase[] = [
  kernelCase({
    name: "Concat: golden 3 inputs axis 1",
    kernel: "Concat",
    attrs: { axis: 1 },
    inputs: [f32([2, 1], [1, 2]), f32([2, 3], [3, 4, 5, 6, 7, 8]), f32([2, 2], [9, 10, 11, 12])],
    expected: [{ shape: [2, 6], values: [1, 3, 4, 5, 9, 10, 2, 6, 7, 8, 11, 12] }],
  }),
  kernelCase({ name: "Concat: 3 inputs axis 0 of [n,2,3]", kernel: "Concat", attrs: { axis: 0 }, inputs: [randn([1, 2, 3]), randn([2, 2, 3]), randn([1, 2, 3])] }),
  kernelCase({ name: "Concat: 3 inputs last axis of [2,2,n]", kernel: "Concat", attrs: { axis: 2 }, inputs: [randn([2, 2, 1]), randn([2, 2, 2]), randn([2, 2, 1])] }),
  kernelCase({ name: "Concat: an empty part", kernel: "Concat", attrs: { axis: 1 }, inputs: [f32([2, 0], []), f32([2, 2], [1, 2, 3, 4])], expected: [{ shape: [2, 2], values: [1, 2, 3, 4] }] }),
  kernelCase({ name: "Concat: one input", kernel: "Concat", attrs: { axis: 0 }, inputs: [randn([2, 2])] }),
  kernelCase({ name: "Concat: i32", kernel: "Concat", attrs: { axis: 0 }, inputs: [i32([1], [1]), i32([2], [2, 3]), i32([1], [4])], expected: [{ dtype: "i32", values: [1, 2, 3, 4] }] }),
  kernelCase({ name: "Concat: bool", kernel: "Concat", attrs: { axis: 1 }, inputs: [bool([1, 1], [1]), bool([1, 2], [0, 1])], expected: [{ dtype: "bool", values: [1, 0, 1] }] }),
];

export const layoutCases: AnyKernelCase[] = [...transposeCases, ...sliceCases, ...padCases, ...concatCases];
