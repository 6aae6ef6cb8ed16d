/**
 * i32 Div is exact over the whole int32 range on every device (tfjs divides integers through
 * float32): random full-range pairs, small divisors, and the edges (-2^31 / -1 wraps to -2^31, x / 0
 * is 0), against the reference backend.
 */
import { describe, expect, it } from "vitest";
import { Generator, createReferenceBackend, engine } from "@r1ts/core";
import type { Backend } from "@r1ts/core";
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
