/**
 * What the tfjs backend tells the conformance suite: the default tolerances, no skipped case, and
 * extra cases for the paths this backend adds on top of tfjs (matmul with one shared B folded into
 * a 2-D matmul, explicit transposes on wasm, scatter-adds through tf.scatterND, larger shapes).
 */
import { CONFORMANCE_CASES, ints, kernelCase, randn } from "@r1ts/core/testing";
import type { AnyKernelCase, ConformanceOptions } from "@r1ts/core/testing";

export const TFJS_EXTRA_CASES: AnyKernelCase[] = [
  kernelCase({ name: "MatMul: tfjs path [2,3,4] x [5,4]^T (a Linear layer)", kernel: "MatMul", attrs: { transposeA: false, transposeB: true }, inputs: [randn([2, 3, 4]), randn([5, 4])] }),
  kernelCase({ name: "MatMul: tfjs path [2,2,3,4] x [1,4,5]", kernel: "MatMul", attrs: { transposeA: false, transposeB: false }, inputs: [randn([2, 2, 3, 4]), randn([1, 4, 5])] }),
  kernelCase({ name: "MatMul: tfjs path [2,4,3]^T x [4,5]", kernel: "MatMul", attrs: { transposeA: true, transposeB: false }, inputs: [randn([2, 4, 3]), randn([4, 5])] }),
  kernelCase({ name: "MatMul: tfjs path [2,3,4]^T x [2,5,3]^T", kernel: "MatMul", attrs: { transposeA: true, transposeB: true }, inputs: [randn([2, 3, 4]), randn([2, 5, 3])] }),
  kernelCase({ name: "MatMul: tfjs path [40,70] x [70,30]", kernel: "MatMul", attrs: { transposeA: false, transposeB: false }, inputs: [randn([40, 70]), randn([70, 30])], gradient: false, tolerance: { atol: 1e-4 } }),
  kernelCase({ name: "Gather: tfjs path embedding rows [16,8] by [3,5]", kernel: "Gather", attrs: { axis: 0 }, inputs: [randn([16, 8]), ints([3, 5], 0, 16)] }),
  kernelCase({ name: "ScatterAdd: tfjs path [3,5,8] rows into 16", kernel: "ScatterAdd", attrs: { axis: 0, size: 16 }, inputs: [randn([3, 5, 8]), ints([3, 5], 0, 16)] }),
];

export const TFJS_CONFORMANCE_OPTIONS: ConformanceOptions = { cases: [...CONFORMANCE_CASES, ...TFJS_EXTRA_CASES] };
