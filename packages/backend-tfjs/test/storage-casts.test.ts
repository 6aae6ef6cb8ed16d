/**
 * The on-device minifloat codecs against core's host codecs: every code of f16, bf16, E4M3 and E5M2
 * decodes to the same value, and f32 values spread over the whole exponent range (with exact ties)
 * encode to the same codes. The conformance suite checks the golden vectors; this checks everything.
 */
import { describe, expect, it } from "vitest";
import { Generator, bf16ToF32, engine, f16ToF32, f32ToBF16, f32ToF16, fp8 } from "@r1ts/core";
import type { Backend, DType, TypedArray } from "@r1ts/core";
import { createTfjsBackendOn } from "./helpers.ts";

const FORMATS: { dtype: DType; codes: number; decode: (c: Uint8Array & Uint16Array) => Float32Array; encode: (x: Float32Array) => TypedArray }[] = [
  { dtype: "f16", codes: 65536, decode: f16ToF32, encode: f32ToF16 },
  { dtype: "bf16", codes: 65536, decode: bf16ToF32, encode: f32ToBF16 },
  { dtype: "f8e4m3", codes: 256, decode: fp8.e4m3ToF32, encode: fp8.f32ToE4M3 },
  { dtype: "f8e5m2", codes: 256, decode: fp8.e5m2ToF32, encode: (x) => fp8.f32ToE5M2(x) },
];

/** f32 values over [2^-150, 2^130) in magnitude, both signs, plus every decoded value and the midpoints between neighbours (ties). */
function probeValues(decoded: Float32Array): Float32Array {
  const g = new Generator(42);
  const values: number[] = [0, -0, Infinity, -Infinity];
  for (let i = 0; i < 6000; i++) values.push((g.uniform() < 0.5 ? -1 : 1) * Math.pow(2, -150 + 280 * g.uniform()));
  const finite = [...new Set(Array.from(decoded).filter(Number.isFinite))].sort((a, b) => a - b);
  for (let i = 0; i < finite.length; i++) {
    values.push(finite[i]);
    if (i + 1 < finite.length) values.push((finite[i] + finite[i + 1]) / 2);
  }
  return Float32Array.from(values);
}

function run(backend: Backend, values: TypedArray, from: DType, to: DType): TypedArray {
  return engine.withBackend(backend, () => {
    const x = engine.makeTensor(values, [values.length], from);
    const [y] = engine.runKernel("Cast", [x], { dtype: to });
    const out = y.dataSync();
    x.dispose();
    y.dispose();
    return out;
  });
}

/** Indices where two arrays differ (NaN equals NaN). */
function differences(actual: TypedArray, expected: TypedArray): number[] {
  const bad: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i] && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) bad.push(i);
  }
  return bad;
}

for (const device of ["wasm", "cpu"] as const) {
  describe(`storage casts on tfjs ${device}`, () => {
    for (const { dtype, codes, decode, encode } of FORMATS) {
      it(`${dtype}: every code decodes like core's codec, and values across the range encode like it`, async () => {
        const backend = await createTfjsBackendOn({ device });
        const all = dtype.startsWith("f8") ? Uint8Array.from({ length: codes }, (_, i) => i) : Uint16Array.from({ length: codes }, (_, i) => i);
        const expectedValues = decode(all as Uint8Array & Uint16Array);
        const decodeBad = differences(run(backend, all, dtype, "f32"), expectedValues);
        expect(decodeBad.slice(0, 5).map((i) => `code ${all[i]}`)).toEqual([]);

        const probes = probeValues(expectedValues);
        const encodeBad = differences(run(backend, probes, "f32", dtype), encode(probes));
        expect(encodeBad.slice(0, 5).map((i) => `value ${probes[i]}`)).toEqual([]);
        expect(backend.numBuffers()).toBe(0);
      });
    }
  });
}
