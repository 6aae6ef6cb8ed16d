/**
 * Cases of Cast: between the compute dtypes (truncation toward zero, x != 0 for bool), and f32 to and
 * from the storage floats f16, bf16, E4M3, E5M2, whose values are bit patterns compared exactly.
 * FP8 vectors are those of docs/fp8.md; the others are worked out by hand from the formats.
 */
import type { DType } from "../../tensor/dtype.ts";
import { kernelCase } from "./case.ts";
import type { AnyKernelCase } from "./case.ts";
import { bits, bool, f32, i32, randn } from "./inputs.ts";

interface CodecVectors {
  dtype: DType;
  /** f32 value -> code (round to nearest even; the storage format's overflow rule). */
  encode: [number, number][];
  /** code -> f32 value. */
  decode: [number, number][];
}

const CODECS: CodecVectors[] = [
  {
    dtype: "f16",
    encode: [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [65520, 0x7c00], // halfway between 65504 and 65536: ties to even, which is inf
      [1e6, 0x7c00],
      [Infinity, 0x7c00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and 2^-24: even is 0
      [3 * 2 ** -25, 0x0002], // tie between 2^-24 and 2^-23: even is 2^-23
      [-0, 0x8000],
    ],
    decode: [
      [0x3c00, 1],
      [0xc000, -2],
      [0x7bff, 65504],
      [0x3555, 0.333251953125],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x7e00, NaN],
    ],
  },
  {
    dtype: "bf16",
    encode: [
      [1, 0x3f80],
      [-2, 0xc000],
      [0.1, 0x3dcd],
      [1 / 3, 0x3eab],
      [1 + 2 ** -8, 0x3f80], // tie: even mantissa 0x00
      [1 + 3 * 2 ** -8, 0x3f82], // tie: even mantissa 0x02
      [3.4e38, 0x7f80], // rounds past the largest bf16: inf
      [Infinity, 0x7f80],
      [-0, 0x8000],
    ],
    decode: [
      [0x3f80, 1],
      [0xc000, -2],
      [0x3dcd, 0.10009765625],
      [0x4049, 3.140625],
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ],
  },
  {
    dtype: "f8e4m3",
    encode: [
      [0.1, 0x1d],
      [1, 0x38],
      [3.3, 0x45],
      [240, 0x77],
      [448, 0x7e],
      [500, 0x7e], // saturates
      [Infinity, 0x7e], // no inf in e4m3fn: saturates
      [-1000, 0xfe],
      [2 ** -9, 0x01],
      [2 ** -10, 0x00], // tie to even
      [-1.75, 0xbe],
      [-0, 0x80],
      [NaN, 0x7f],
    ],
    decode: [
      [0x1d, 0.1015625],
      [0x38, 1],
      [0x45, 3.25],
      [0x77, 240],
      [0x7e, 448],
      [0xfe, -448],
      [0x01, 2 ** -9],
      [0x08, 2 ** -6],
      [0xbe, -1.75],
      [0x7f, NaN],
    ],
  },
  {
    dtype: "f8e5m2",
    encode: [
      [1, 0x3c],
      [-2, 0xc0],
      [0.1, 0x2e],
      [3.3, 0x43],
      [57344, 0x7b],
      [1e6, 0x7b], // saturates (like ONNX Cast with saturate=1)
      [Infinity, 0x7b],
      [2 ** -16, 0x01],
      [2 ** -17, 0x00], // tie to even
      [-0, 0x80],
    ],
    decode: [
      [0x3c, 1],
      [0xc0, -2],
      [0x2e, 0.09375],
      [0x43, 3.5],
      [0x7b, 57344],
      [0x01, 2 ** -16],
      [0x7c, Infinity],
      [0xfc, -Infinity],
      [0x7f, NaN],
    ],
  },
];

const codecCases: AnyKernelCase[] = CODECS.flatMap(({ dtype, encode, decode }) => [
  kernelCase({
    name: `Cast: f32 -> ${dtype} golden`,
    kernel: "Cast",
    attrs: { dtype },
    inputs: [f32([encode.length], encode.map(([x]) => x))],
    expected: [{ dtype, values: encode.map(([, code]) => code) }],
  }),
  kernelCase({
    name: `Cast: ${dtype} -> f32 golden`,
    kernel: "Cast",
    attrs: { dtype: "f32" },
    inputs: [bits(dtype, [decode.length], decode.map(([code]) => code))],
    expected: [{ dtype: "f32", values: decode.map(([, x]) => x) }],
  }),
  // Random values: every backend rounds to the same codes as the reference.
  kernelCase({ name: `Cast: f32 -> ${dtype} random`, kernel: "Cast", attrs: { dtype }, inputs: [randn([4, 8], 10)] }),
]);

const computeCases: AnyKernelCase[] = [
  kernelCase({ name: "Cast: f32 -> i32 truncates toward zero", kernel: "Cast", attrs: { dtype: "i32" }, inputs: [f32([8], [-2.7, -1.5, -0.5, 0, 0.5, 1.5, 2.7, 1e9])], expected: [{ dtype: "i32", values: [-2, -1, 0, 0, 0, 1, 2, 1e9] }] }),
  kernelCase({ name: "Cast: f32 -> bool is x != 0", kernel: "Cast", attrs: { dtype: "bool" }, inputs: [f32([5], [0, -0, 0.5, -3, 1e-30])], expected: [{ dtype: "bool", values: [0, 0, 1, 1, 1] }] }),
  kernelCase({ name: "Cast: i32 -> f32", kernel: "Cast", attrs: { dtype: "f32" }, inputs: [i32([3], [-5, 0, 16777217])], expected: [{ dtype: "f32", values: [-5, 0, 16777216] }] }),
  kernelCase({ name: "Cast: i32 -> bool", kernel: "Cast", attrs: { dtype: "bool" }, inputs: [i32([3], [0, 3, -1])], expected: [{ dtype: "bool", values: [0, 1, 1] }] }),
  kernelCase({ name: "Cast: bool -> f32", kernel: "Cast", attrs: { dtype: "f32" }, inputs: [bool([3], [1, 0, 1])], expected: [{ dtype: "f32", values: [1, 0, 1] }] }),
  kernelCase({ name: "Cast: bool -> i32", kernel: "Cast", attrs: { dtype: "i32" }, inputs: [bool([3], [1, 0, 1])], expected: [{ dtype: "i32", values: [1, 0, 1] }] }),
  kernelCase({ name: "Cast: i32 -> i32", kernel: "Cast", attrs: { dtype: "i32" }, inputs: [i32([2], [-3, 4])], expected: [{ dtype: "i32", values: [-3, 4] }] }),
  // The only differentiable cast: f32 -> f32 passes the gradient through.
  kernelCase({ name: "Cast: f32 -> f32", kernel: "Cast", attrs: { dtype: "f32" }, inputs: [randn([2, 3])] }),
];

export const castCases: AnyKernelCase[] = [...computeCases, ...codecCases];
