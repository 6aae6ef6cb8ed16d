/** Cases of the indexing kernels: gather / scatter-add, take / put along an axis (repeated indices), one-hot. */
import { kernelCase } from "./case.ts";
import type { AnyKernelCase } from "./case.ts";
import { bool, f32, i32, ints, randn } from "./inputs.ts";

const gatherCases: AnyKernelCase[] = [
  kernelCase({ name: "Gather: golden axis 0, repeated index", kernel: "Gather", attrs: { axis: 0 }, inputs: [f32([4, 2], [0, 1, 10, 11, 20, 21, 30, 31]), i32([3], [2, 0, 2])], expected: [{ shape: [3, 2], values: [20, 21, 0, 1, 20, 21] }] }),
  kernelCase({ name: "Gather: golden axis 1, 2-D indices", kernel: "Gather", attrs: { axis: 1 }, inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6]), i32([2, 2], [2, 0, 1, 1])], expected: [{ shape: [2, 2, 2], values: [3, 1, 2, 2, 6, 4, 5, 5] }] }),
  kernelCase({ name: "Gather: scalar index drops the axis", kernel: "Gather", attrs: { axis: 0 }, inputs: [f32([3, 2], [1, 2, 3, 4, 5, 6]), i32([], [1])], expected: [{ shape: [2], values: [3, 4] }] }),
  kernelCase({ name: "Gather: random rows of [5,3]", kernel: "Gather", attrs: { axis: 0 }, inputs: [randn([5, 3]), ints([6], 0, 5)] }),
  kernelCase({ name: "Gather: random axis 1 of [2,4,3]", kernel: "Gather", attrs: { axis: 1 }, inputs: [randn([2, 4, 3]), ints([2, 3], 0, 4)] }),
  kernelCase({ name: "Gather: i32", kernel: "Gather", attrs: { axis: 0 }, inputs: [i32([3], [7, 8, 9]), i32([4], [2, 2, 0, 1])], expected: [{ dtype: "i32", values: [9, 9, 7, 8] }] }),
  kernelCase({ name: "Gather: bool", kernel: "Gather", attrs: { axis: 1 }, inputs: [bool([1, 3], [1, 0, 1]), i32([3], [1, 2, 1])], expected: [{ dtype: "bool", values: [0, 1, 0] }] }),
];

const scatterCases: AnyKernelCase[] = [
  // Repeated indices accumulate.
  kernelCase({ name: "ScatterAdd: golden axis 0, repeated index", kernel: "ScatterAdd", attrs: { axis: 0, size: 4 }, inputs: [f32([4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), i32([4], [1, 0, 1, 3])], expected: [{ shape: [4, 2], values: [3, 4, 6, 8, 0, 0, 7, 8] }] }),
  kernelCase({ name: "ScatterAdd: random axis 0", kernel: "ScatterAdd", attrs: { axis: 0, size: 4 }, inputs: [randn([6, 3]), ints([6], 0, 4)] }),
  kernelCase({ name: "ScatterAdd: random axis 1, 2-D indices", kernel: "ScatterAdd", attrs: { axis: 1, size: 4 }, inputs: [randn([2, 2, 3, 2]), ints([2, 3], 0, 4)] }),
  kernelCase({ name: "ScatterAdd: i32", kernel: "ScatterAdd", attrs: { axis: 0, size: 3 }, inputs: [i32([3], [1, 2, 3]), i32([3], [0, 0, 2])], expected: [{ dtype: "i32", values: [3, 0, 3] }] }),
];

const takeCases: AnyKernelCase[] = [
  kernelCase({ name: "TakeAlongAxis: golden axis 1, repeated index", kernel: "TakeAlongAxis", attrs: { axis: 1 }, inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6]), i32([2, 2], [2, 2, 0, 1])], expected: [{ shape: [2, 2], values: [3, 3, 4, 5] }] }),
  kernelCase({ name: "TakeAlongAxis: random axis 0", kernel: "TakeAlongAxis", attrs: { axis: 0 }, inputs: [randn([3, 2]), ints([4, 2], 0, 3)] }),
  kernelCase({ name: "TakeAlongAxis: random axis 1 of [2,5,3]", kernel: "TakeAlongAxis", attrs: { axis: 1 }, inputs: [randn([2, 5, 3]), ints([2, 4, 3], 0, 5)] }),
  kernelCase({ name: "TakeAlongAxis: bool", kernel: "TakeAlongAxis", attrs: { axis: 0 }, inputs: [bool([2, 2], [1, 0, 0, 1]), i32([3, 2], [1, 1, 0, 1, 1, 0])], expected: [{ dtype: "bool", values: [0, 1, 1, 1, 0, 0] }] }),
  kernelCase({ name: "TakeAlongAxis: i32", kernel: "TakeAlongAxis", attrs: { axis: 1 }, inputs: [i32([1, 3], [7, 8, 9]), i32([1, 4], [2, 2, 0, 1])], expected: [{ dtype: "i32", values: [9, 9, 7, 8] }] }),
];

const putCases: AnyKernelCase[] = [
  kernelCase({ name: "PutAlongAxisAdd: golden axis 1, repeated index", kernel: "PutAlongAxisAdd", attrs: { axis: 1, size: 3 }, inputs: [f32([2, 2], [1, 2, 3, 4]), i32([2, 2], [1, 1, 0, 2])], expected: [{ shape: [2, 3], values: [0, 3, 0, 3, 0, 4] }] }),
  kernelCase({ name: "PutAlongAxisAdd: random axis 0", kernel: "PutAlongAxisAdd", attrs: { axis: 0, size: 3 }, inputs: [randn([4, 2]), ints([4, 2], 0, 3)] }),
  kernelCase({ name: "PutAlongAxisAdd: random axis 1 of [2,4,3]", kernel: "PutAlongAxisAdd", attrs: { axis: 1, size: 5 }, inputs: [randn([2, 4, 3]), ints([2, 4, 3], 0, 5)] }),
  kernelCase({ name: "PutAlongAxisAdd: i32", kernel: "PutAlongAxisAdd", attrs: { axis: 0, size: 2 }, inputs: [i32([3], [5, 6, 7]), i32([3], [1, 1, 0])], expected: [{ dtype: "i32", values: [7, 11] }] }),
];

const oneHotCases: AnyKernelCase[] = [
  // Out-of-range indices (negative or >= depth) give an all-zero row.
  kernelCase({
    name: "OneHot: golden with out-of-range indices",
    kernel: "OneHot",
    attrs: { depth: 4 },
    inputs: [i32([5], [-1, 0, 2, 3, 4])],
    expected: [{ shape: [5, 4], dtype: "f32", values: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0] }],
  }),
  kernelCase({ name: "OneHot: random [2,3] depth 5", kernel: "OneHot", attrs: { depth: 5 }, inputs: [ints([2, 3], -1, 6)] }),
];

export const indexingCases: AnyKernelCase[] = [...gatherCases, ...scatterCases, ...takeCases, ...putCases, ...oneHotCases];
