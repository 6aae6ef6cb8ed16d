/**
 * i32 arithmetic is exact over the whole int32 range on every device, as on the reference backend,
 * although tfjs runs some integer kernels through float32: Div on random full-range pairs, small
 * divisors and the edges (-2^31 / -1 wraps to -2^31, x / 0 is 0); Pow wrapping modulo 2^32; Abs, Neg,
 * comparisons and reductions next to 2^31.
 */
import { describe, expect, it } from "vitest";
import { Generator, createReferenceBackend, engine } from "@r1ts/core";
import type { Backend, KernelAttrs, KernelName } from "@r1ts/core";
import { createTfjsBackendOn } from "./helpers.ts";

const MIN = -2147483648;
const MAX = 2147483647;

function divide(backend: Backend, a: Int32Array, b: Int32Array): Int32Array {
  return engine.withBackend(backend, () => {
    const x = engine.makeTensor(a, [a.length], "i32");
    const y = engine.makeTensor(b, [b.length], "i32");
    const [q] = engine.runKernel("Div", [x, y], {});
    const out = q.dataSync() as Int32Array;
    for (const t of [x, y, q]) t.dispose();
    return out;
  });
}

function pairs(): [Int32Array, Int32Array] {
  const g = new Generator(11);
  const a: number[] = [MIN, MIN, MIN, MAX, MAX, 0, 7, -7, 7, -7, MIN, MAX, 1, -1, 123456789, -1000000007];
  const b: number[] = [-1, 1, MIN, -1, MIN, 5, 0, 0, -2, 2, MAX, MAX, MIN, MAX, 10, 3];
  const full = (): number => (g.nextU32() | 0);
  for (let i = 0; i < 3000; i++) {
    a.push(full());
    // Divisors of every magnitude: full range, up to 2^16, and tiny.
    b.push(i % 3 === 0 ? full() || 1 : i % 3 === 1 ? (g.int(131072) - 65536) || 3 : (g.int(19) - 9) || -4);
  }
  return [Int32Array.from(a), Int32Array.from(b)];
}

describe("i32 Div", () => {
  const [a, b] = pairs();
  const expected = divide(createReferenceBackend(), a, b);
  for (const device of ["wasm", "cpu"] as const) {
    it(`on ${device}: 3016 pairs across the int32 range agree with the reference exactly`, async () => {
      const backend = await createTfjsBackendOn({ device });
      const actual = divide(backend, a, b);
      const wrong = [...actual.keys()].filter((i) => actual[i] !== expected[i]).slice(0, 5).map((i) => `${a[i]} / ${b[i]} = ${actual[i]}, expected ${expected[i]}`);
      expect(wrong).toEqual([]);
      expect(expected[0]).toBe(MIN); // -2^31 / -1 wraps
      expect(expected[6]).toBe(0); // x / 0
    });
  }
});

/** Runs a kernel on i32 inputs and returns every output's values. */
function runInts(backend: Backend, kernel: KernelName, inputs: number[][], attrs: KernelAttrs[KernelName]): number[][] {
  return engine.withBackend(backend, () => {
    const tensors = inputs.map((v) => engine.makeTensor(v, [v.length], "i32"));
    const outputs = engine.runKernel(kernel, tensors, attrs as never);
    const values = outputs.map((o) => Array.from(o.dataSync()));
    for (const t of [...tensors, ...outputs]) t.dispose();
    return values;
  });
}

const NEAR = [MAX, -MAX, 16777217, 3, 100000007, -5, MAX - 1];
const NEAR_B = [MAX - 1, -MAX + 1, 16777216, 19, 2, 2, MAX];
const EDGE_CASES: [KernelName, number[][], KernelAttrs[KernelName]][] = [
  ["Pow", [[3, 2, 7, -3, 46341, 2, 1, -1, -1, 0, 5, -2], [19, 30, 11, 19, 2, 31, -3, -3, -4, -1, 0, 33]], {}],
  ["Abs", [[-MAX, 16777217, MIN + 1, 0]], {}],
  ["Neg", [[16777217, -MAX, MAX]], {}],
  ["Equal", [NEAR, NEAR_B], {}],
  ["Less", [NEAR, NEAR_B], {}],
  ["GreaterEqual", [NEAR, NEAR_B], {}],
  ["Maximum", [NEAR, NEAR_B], {}],
  ["Minimum", [NEAR, NEAR_B], {}],
  ["Sum", [[MAX, 1, 16777217, -16777216]], { axes: [0], keepDims: false }],
  ["Max", [NEAR], { axes: [0], keepDims: false }],
  ["ArgMax", [[MAX - 1, MAX, 5]], { axis: 0 }],
  ["Cumsum", [NEAR], { axis: 0, exclusive: false, reverse: false }],
  ["TopK", [NEAR], { k: 3 }],
  ["Clamp", [NEAR], { min: -2147483640, max: 2147483600 }],
];

describe("i32 edges next to 2^31", () => {
  const reference = createReferenceBackend();
  for (const device of ["wasm", "cpu"] as const) {
    it(`on ${device}: pow, abs, neg, comparisons, reductions agree with the reference exactly`, async () => {
      const backend = await createTfjsBackendOn({ device });
      const wrong = EDGE_CASES.filter(([kernel, inputs, attrs]) => JSON.stringify(runInts(backend, kernel, inputs, attrs)) !== JSON.stringify(runInts(reference, kernel, inputs, attrs)))
        .map(([kernel, inputs, attrs]) => `${kernel}: ${JSON.stringify(runInts(backend, kernel, inputs, attrs))} vs ${JSON.stringify(runInts(reference, kernel, inputs, attrs))}`);
      expect(wrong).toEqual([]);
    });
  }
});
