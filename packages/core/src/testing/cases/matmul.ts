/** Cases of MatMul: the four transpose combinations, batches, broadcast batch dims, K = 0, i32. */
import { kernelCase } from "./case.ts";
import type { AnyKernelCase } from "./case.ts";
import { f32, i32, ints, randn } from "./inputs.ts";

const COMBOS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

const label = (transposeA: boolean, transposeB: boolean): string => `${transposeA ? "A^T" : "A"} ${transposeB ? "B^T" : "B"}`;

// A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[2,-1]]: AB = [[7,-1],[16,-1]]. A^T and B^T are stored transposed.
const A = [1, 2, 3, 4, 5, 6];
const AT = [1, 4, 2, 5, 3, 6];
const B = [1, 0, 0, 1, 2, -1];
const BT = [1, 0, 2, 0, 1, -1];

const golden: AnyKernelCase[] = COMBOS.map(([transposeA, transposeB]) =>
  kernelCase({
    name: `MatMul: golden ${label(transposeA, transposeB)}`,
    kernel: "MatMul",
    attrs: { transposeA, transposeB },
    inputs: [transposeA ? f32([3, 2], AT) : f32([2, 3], A), transposeB ? f32([2, 3], BT) : f32([3, 2], B)],
    expected: [{ shape: [2, 2], values: [7, -1, 16, -1] }],
  }),
);

/** Stored shape of an operand with logical [rows, cols] after an optional transpose, behind batch dims. */
const stored = (batch: number[], rows: number, cols: number, transpose: boolean): number[] => [...batch, ...(transpose ? [cols, rows] : [rows, cols])];

const random: AnyKernelCase[] = COMBOS.flatMap(([transposeA, transposeB]) => [
  kernelCase({
    name: `MatMul: [3,4] x [4,2] ${label(transposeA, transposeB)}`,
    kernel: "MatMul",
    attrs: { transposeA, transposeB },
    inputs: [randn(stored([], 3, 4, transposeA)), randn(stored([], 4, 2, transposeB))],
  }),
  // Batch dims [2,1] and [3] broadcast to [2,3].
  kernelCase({
    name: `MatMul: broadcast batch [2,1] x [3] ${label(transposeA, transposeB)}`,
    kernel: "MatMul",
    attrs: { transposeA, transposeB },
    inputs: [randn(stored([2, 1], 3, 4, transposeA)), randn(stored([3], 4, 2, transposeB))],
  }),
]);

const edges: AnyKernelCase[] = [
  kernelCase({
    name: "MatMul: golden batch [2] x unbatched",
    kernel: "MatMul",
    attrs: { transposeA: false, transposeB: false },
    inputs: [f32([2, 1, 2], [1, 2, 3, 4]), f32([2, 1], [1, 1])],
    expected: [{ shape: [2, 1, 1], values: [3, 7] }],
  }),
  kernelCase({ name: "MatMul: batched [2,3,4] x [2,4,2]", kernel: "MatMul", attrs: { transposeA: false, transposeB: false }, inputs: [randn([2, 3, 4]), randn([2, 4, 2])] }),
  kernelCase({ name: "MatMul: unbatched A x batched B^T", kernel: "MatMul", attrs: { transposeA: false, transposeB: true }, inputs: [randn([2, 3]), randn([2, 2, 4, 3])] }),
  kernelCase({ name: "MatMul: M = N = 1", kernel: "MatMul", attrs: { transposeA: false, transposeB: false }, inputs: [randn([1, 5]), randn([5, 1])] }),
  kernelCase({ name: "MatMul: K = 0 gives zeros", kernel: "MatMul", attrs: { transposeA: false, transposeB: false }, inputs: [f32([2, 0], []), f32([0, 3], [])], expected: [{ shape: [2, 3], values: [0, 0, 0, 0, 0, 0] }] }),
  kernelCase({ name: "MatMul: [16,64] x [64,8] accumulation", kernel: "MatMul", attrs: { transposeA: false, transposeB: true }, inputs: [randn([16, 64]), randn([8, 64])], gradient: false, tolerance: { atol: 1e-4 } }),
  kernelCase({ name: "MatMul: i32 golden", kernel: "MatMul", attrs: { transposeA: false, transposeB: false }, inputs: [i32([2, 2], [1, 2, 3, 4]), i32([2, 2], [5, 6, 7, 8])], expected: [{ dtype: "i32", values: [19, 22, 43, 50] }] }),
  kernelCase({ name: "MatMul: i32 batched A^T", kernel: "MatMul", attrs: { transposeA: true, transposeB: false }, inputs: [ints([2, 4, 3], -5, 5), ints([4, 2], -5, 5)] }),
];

export const matmulCases: AnyKernelCase[] = [...golden, ...random, ...edges];
