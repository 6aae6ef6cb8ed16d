/**
 * Output shapes and dtypes of every kernel, computed from input shapes and attributes alone.
 * The engine validates each call here before a backend sees it, so backends can trust their inputs
 * and every shape error reads the same on every backend.
 */
import { ShapeError } from "../errors.ts";
import type { DType } from "../tensor/dtype.ts";
import { isComputeDType } from "../tensor/dtype.ts";
import { broadcastShapes, formatShape, sizeOf } from "../tensor/shape.ts";
import type { KernelAttrs, KernelName } from "./kernels.ts";
import { recordOf } from "../util/record.ts";
import { ARITHMETIC_KERNELS, COMPARISON_KERNELS, UNARY_KERNELS } from "./kernels.ts";

export interface TensorSpec {
  shape: number[];
  dtype: DType;
}

type Infer<K extends KernelName> = (inputs: TensorSpec[], attrs: KernelAttrs[K]) => TensorSpec[];

function fail(kernel: string, message: string): never {
  throw new ShapeError(`${kernel}: ${message}`);
}

function expectInputs(kernel: string, inputs: TensorSpec[], n: number): void {
  if (inputs.length !== n) fail(kernel, `expected ${n} input(s), got ${inputs.length}`);
}

function expectInputRange(kernel: string, inputs: TensorSpec[], min: number, max: number): void {
  if (inputs.length < min || inputs.length > max) fail(kernel, `expected ${min} to ${max} inputs, got ${inputs.length}`);
}

/** The optional per-row attention bounds: i32 [batch, 3] (keyStart, keyEnd, queryStart). */
function expectRowBounds(kernel: string, bounds: TensorSpec | undefined, batch: number | undefined): void {
  if (!bounds) return;
  expectDType(kernel, "bounds", bounds, ["i32"]);
  if (bounds.shape.length !== 2 || bounds.shape[0] !== batch || bounds.shape[1] !== 3) fail(kernel, `bounds must be [${batch}, 3] (keyStart, keyEnd, queryStart per row), got ${formatShape(bounds.shape)}`);
}

function expectDType(kernel: string, what: string, t: TensorSpec, allowed: DType[]): void {
  if (!allowed.includes(t.dtype)) fail(kernel, `${what} must have dtype ${allowed.join(" or ")}, got ${t.dtype}`);
}

function expectAxis(kernel: string, axis: number, rank: number): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) fail(kernel, `axis ${axis} out of range for rank ${rank}`);
}

const FLOAT: DType[] = ["f32"];
const NUMERIC: DType[] = ["f32", "i32"];

type InferNoAttrs = (inputs: TensorSpec[], attrs: Record<string, never>) => TensorSpec[];

const unary: InferNoAttrs = (inputs) => [{ shape: [...inputs[0].shape], dtype: inputs[0].dtype }];

function binary(kernel: string, comparison: boolean): InferNoAttrs {
  return (inputs) => {
    expectInputs(kernel, inputs, 2);
    const [a, b] = inputs;
    if (a.dtype !== b.dtype) fail(kernel, `dtypes differ: ${a.dtype} and ${b.dtype} (cast one first)`);
    expectDType(kernel, "inputs", a, comparison ? ["f32", "i32", "bool"] : NUMERIC);
    return [{ shape: broadcastShapes(a.shape, b.shape, kernel), dtype: comparison ? "bool" : a.dtype }];
  };
}

function reduceShape(kernel: string, shape: number[], axes: number[], keepDims: boolean): number[] {
  for (const a of axes) expectAxis(kernel, a, shape.length);
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function floatUnary(kernel: string): InferNoAttrs {
  return (inputs) => {
    expectInputs(kernel, inputs, 1);
    expectDType(kernel, "x", inputs[0], kernel === "Neg" || kernel === "Abs" || kernel === "Relu" ? NUMERIC : FLOAT);
    return unary(inputs, {});
  };
}

const table: { [K in KernelName]: Infer<K> } = {
  ...recordOf(UNARY_KERNELS, floatUnary),
  ...recordOf(ARITHMETIC_KERNELS, (k) => binary(k, false)),
  ...recordOf(COMPARISON_KERNELS, (k) => binary(k, true)),

  Clamp: (inputs, { min, max }) => {
    expectInputs("Clamp", inputs, 1);
    expectDType("Clamp", "x", inputs[0], NUMERIC);
    if (!(min <= max)) fail("Clamp", `min ${min} is greater than max ${max}`);
    return unary(inputs, {});
  },
  Where: (inputs) => {
    expectInputs("Where", inputs, 3);
    const [c, a, b] = inputs;
    expectDType("Where", "condition", c, ["bool"]);
    if (a.dtype !== b.dtype) fail("Where", `branches have different dtypes ${a.dtype} and ${b.dtype}`);
    const shape = broadcastShapes(broadcastShapes(c.shape, a.shape, "Where"), b.shape, "Where");
    return [{ shape, dtype: a.dtype }];
  },
  Cast: (inputs, { dtype }) => {
    expectInputs("Cast", inputs, 1);
    const from = inputs[0].dtype;
    if (!isComputeDType(from) && dtype !== "f32" && dtype !== from) fail("Cast", `storage dtype ${from} casts only to f32, not ${dtype}`);
    if (!isComputeDType(dtype) && from !== "f32" && from !== dtype) fail("Cast", `only f32 casts to storage dtype ${dtype}, not ${from}`);
    return [{ shape: [...inputs[0].shape], dtype }];
  },
  Sum: (inputs, { axes, keepDims }) => {
    expectInputs("Sum", inputs, 1);
    expectDType("Sum", "x", inputs[0], NUMERIC);
    return [{ shape: reduceShape("Sum", inputs[0].shape, axes, keepDims), dtype: inputs[0].dtype }];
  },
  Max: (inputs, { axes, keepDims }) => {
    expectInputs("Max", inputs, 1);
    expectDType("Max", "x", inputs[0], NUMERIC);
    for (const a of axes) if (inputs[0].shape[a] === 0) fail("Max", `cannot reduce an empty axis ${a} of ${formatShape(inputs[0].shape)}`);
    return [{ shape: reduceShape("Max", inputs[0].shape, axes, keepDims), dtype: inputs[0].dtype }];
  },
  ArgMax: (inputs, { axis }) => {
    expectInputs("ArgMax", inputs, 1);
    expectDType("ArgMax", "x", inputs[0], NUMERIC);
    expectAxis("ArgMax", axis, inputs[0].shape.length);
    if (inputs[0].shape[axis] === 0) fail("ArgMax", `empty axis ${axis}`);
    return [{ shape: reduceShape("ArgMax", inputs[0].shape, [axis], false), dtype: "i32" }];
  },
  Softmax: (inputs) => lastAxisFloat("Softmax", inputs),
  LogSoftmax: (inputs) => lastAxisFloat("LogSoftmax", inputs),
  MatMul: (inputs, { transposeA, transposeB }) => {
    expectInputs("MatMul", inputs, 2);
    const [a, b] = inputs;
    if (a.dtype !== b.dtype) fail("MatMul", `dtypes differ: ${a.dtype} and ${b.dtype}`);
    expectDType("MatMul", "inputs", a, NUMERIC);
    if (a.shape.length < 2 || b.shape.length < 2) fail("MatMul", `inputs must have rank >= 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
    const [m, ka] = matDims(a.shape, transposeA);
    const [kb, n] = matDims(b.shape, transposeB);
    if (ka !== kb) {
      fail("MatMul", `inner dimensions differ: ${formatShape(a.shape)}${transposeA ? "^T" : ""} x ${formatShape(b.shape)}${transposeB ? "^T" : ""} (${ka} vs ${kb})`);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), "MatMul batch dims");
    return [{ shape: [...batch, m, n], dtype: a.dtype }];
  },
  Gather: (inputs, { axis }) => {
    expectInputs("Gather", inputs, 2);
    const [x, idx] = inputs;
    expectDType("Gather", "indices", idx, ["i32"]);
    expectAxis("Gather", axis, x.shape.length);
    return [{ shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype }];
  },
  ScatterAdd: (inputs, { axis, size }) => {
    expectInputs("ScatterAdd", inputs, 2);
    const [u, idx] = inputs;
    expectDType("ScatterAdd", "indices", idx, ["i32"]);
    expectDType("ScatterAdd", "updates", u, NUMERIC);
    const r = idx.shape.length;
    if (u.shape.length < axis + r) fail("ScatterAdd", `updates ${formatShape(u.shape)} too small for indices ${formatShape(idx.shape)} at axis ${axis}`);
    for (let i = 0; i < r; i++) {
      if (u.shape[axis + i] !== idx.shape[i]) fail("ScatterAdd", `updates ${formatShape(u.shape)} do not match indices ${formatShape(idx.shape)} at axis ${axis}`);
    }
    return [{ shape: [...u.shape.slice(0, axis), size, ...u.shape.slice(axis + r)], dtype: u.dtype }];
  },
  TakeAlongAxis: (inputs, { axis }) => {
    expectInputs("TakeAlongAxis", inputs, 2);
    const [x, idx] = inputs;
    expectDType("TakeAlongAxis", "indices", idx, ["i32"]);
    expectAxis("TakeAlongAxis", axis, x.shape.length);
    sameExceptAxis("TakeAlongAxis", x.shape, idx.shape, axis);
    return [{ shape: [...idx.shape], dtype: x.dtype }];
  },
  PutAlongAxisAdd: (inputs, { axis, size }) => {
    expectInputs("PutAlongAxisAdd", inputs, 2);
    const [u, idx] = inputs;
    expectDType("PutAlongAxisAdd", "indices", idx, ["i32"]);
    expectDType("PutAlongAxisAdd", "updates", u, NUMERIC);
    expectAxis("PutAlongAxisAdd", axis, u.shape.length);
    sameExceptAxis("PutAlongAxisAdd", u.shape, idx.shape, axis);
    if (u.shape[axis] !== idx.shape[axis]) fail("PutAlongAxisAdd", `updates ${formatShape(u.shape)} and indices ${formatShape(idx.shape)} differ`);
    const shape = [...u.shape];
    shape[axis] = size;
    return [{ shape, dtype: u.dtype }];
  },
  Transpose: (inputs, { perm }) => {
    expectInputs("Transpose", inputs, 1);
    const shape = inputs[0].shape;
    const sorted = [...perm].sort((p, q) => p - q);
    if (perm.length !== shape.length || sorted.some((p, i) => p !== i)) fail("Transpose", `perm ${JSON.stringify(perm)} is not a permutation of the ${shape.length} axes of ${formatShape(shape)}`);
    return [{ shape: perm.map((p) => shape[p]), dtype: inputs[0].dtype }];
  },
  Slice: (inputs, { begin, size }) => {
    expectInputs("Slice", inputs, 1);
    const shape = inputs[0].shape;
    if (begin.length !== shape.length || size.length !== shape.length) fail("Slice", `begin/size must have ${shape.length} entries for ${formatShape(shape)}`);
    for (let i = 0; i < shape.length; i++) {
      if (begin[i] < 0 || size[i] < 0 || begin[i] + size[i] > shape[i]) {
        fail("Slice", `slice [${begin[i]}, ${begin[i] + size[i]}) is outside axis ${i} of ${formatShape(shape)}`);
      }
    }
    return [{ shape: [...size], dtype: inputs[0].dtype }];
  },
  Pad: (inputs, { paddings }) => {
    expectInputs("Pad", inputs, 1);
    const shape = inputs[0].shape;
    if (paddings.length !== shape.length) fail("Pad", `paddings need ${shape.length} entries for ${formatShape(shape)}`);
    if (paddings.some(([b, a]) => b < 0 || a < 0)) fail("Pad", `paddings must be >= 0`);
    return [{ shape: shape.map((d, i) => d + paddings[i][0] + paddings[i][1]), dtype: inputs[0].dtype }];
  },
  Concat: (inputs, { axis }) => {
    if (inputs.length === 0) fail("Concat", "needs at least one input");
    const first = inputs[0];
    expectAxis("Concat", axis, first.shape.length);
    let total = 0;
    for (const t of inputs) {
      if (t.dtype !== first.dtype) fail("Concat", `dtypes differ: ${first.dtype} and ${t.dtype}`);
      sameExceptAxis("Concat", first.shape, t.shape, axis);
      total += t.shape[axis];
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return [{ shape, dtype: first.dtype }];
  },
  TopK: (inputs, { k }) => {
    expectInputs("TopK", inputs, 1);
    const x = inputs[0];
    expectDType("TopK", "x", x, NUMERIC);
    const last = x.shape[x.shape.length - 1];
    if (x.shape.length === 0 || !Number.isInteger(k) || k < 0 || k > last) fail("TopK", `k = ${k} must be in 0..${last} for ${formatShape(x.shape)}`);
    const shape = [...x.shape.slice(0, -1), k];
    return [{ shape, dtype: x.dtype }, { shape: [...shape], dtype: "i32" }];
  },
  Cumsum: (inputs, { axis }) => {
    expectInputs("Cumsum", inputs, 1);
    expectDType("Cumsum", "x", inputs[0], NUMERIC);
    expectAxis("Cumsum", axis, inputs[0].shape.length);
    return unary(inputs, {});
  },
  OneHot: (inputs, { depth }) => {
    expectInputs("OneHot", inputs, 1);
    expectDType("OneHot", "indices", inputs[0], ["i32"]);
    if (!Number.isInteger(depth) || depth < 1) fail("OneHot", `depth must be a positive integer, got ${depth}`);
    return [{ shape: [...inputs[0].shape, depth], dtype: "f32" }];
  },
  Multinomial: (inputs, { numSamples }) => {
    expectInputs("Multinomial", inputs, 1);
    const x = inputs[0];
    expectDType("Multinomial", "logits", x, FLOAT);
    if (x.shape.length !== 2 || x.shape[1] === 0) fail("Multinomial", `logits must be [batch, classes>0], got ${formatShape(x.shape)}`);
    return [{ shape: [x.shape[0], numSamples], dtype: "i32" }];
  },

  RMSNorm: (inputs) => {
    expectInputs("RMSNorm", inputs, 2);
    const [x, w] = inputs;
    expectDType("RMSNorm", "x", x, FLOAT);
    expectDType("RMSNorm", "weight", w, FLOAT);
    if (w.shape.length !== 1 || w.shape[0] !== x.shape[x.shape.length - 1]) fail("RMSNorm", `weight ${formatShape(w.shape)} must match the last dim of ${formatShape(x.shape)}`);
    return unary(inputs, {});
  },
  RoPE: (inputs) => {
    expectInputs("RoPE", inputs, 3);
    const [x, cos, sin] = inputs;
    expectDType("RoPE", "x", x, FLOAT);
    if (x.shape.length !== 4) fail("RoPE", `x must be [batch, seq, heads, dim], got ${formatShape(x.shape)}`);
    const [, s, , d] = x.shape;
    if (d % 2 !== 0) fail("RoPE", `head dim ${d} must be even`);
    for (const [name, t] of [["cos", cos], ["sin", sin]] as const) {
      if (t.shape.length !== 2 || t.shape[0] !== s || t.shape[1] !== d / 2) fail("RoPE", `${name} must be [${s}, ${d / 2}], got ${formatShape(t.shape)}`);
    }
    return unary(inputs, {});
  },
  CrossEntropy: (inputs) => {
    expectInputs("CrossEntropy", inputs, 2);
    const [logits, labels] = inputs;
    expectDType("CrossEntropy", "logits", logits, FLOAT);
    expectDType("CrossEntropy", "labels", labels, ["i32"]);
    if (logits.shape.length !== 2 || labels.shape.length !== 1 || labels.shape[0] !== logits.shape[0]) {
      fail("CrossEntropy", `expected logits [N, V] and labels [N], got ${formatShape(logits.shape)} and ${formatShape(labels.shape)}`);
    }
    return [{ shape: [logits.shape[0]], dtype: "f32" }];
  },
  Attention: (inputs) => {
    expectInputRange("Attention", inputs, 3, 4);
    const [q, k, v] = inputs;
    expectRowBounds("Attention", inputs[3], q.shape[0]);
    for (const [name, t] of [["q", q], ["k", k], ["v", v]] as const) {
      expectDType("Attention", name, t, FLOAT);
      if (t.shape.length !== 4) fail("Attention", `${name} must be [batch, heads, seq, dim], got ${formatShape(t.shape)}`);
    }
    const [b, h, s, dk] = q.shape;
    const [bk, hkv, t, dk2] = k.shape;
    if (bk !== b || v.shape[0] !== b) fail("Attention", `batch sizes differ: q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`);
    if (dk2 !== dk) fail("Attention", `q and k head dims differ: ${dk} vs ${dk2}`);
    if (v.shape[1] !== hkv || v.shape[2] !== t) fail("Attention", `k ${formatShape(k.shape)} and v ${formatShape(v.shape)} disagree`);
    if (hkv === 0 || h % hkv !== 0) fail("Attention", `query heads ${h} must be a multiple of kv heads ${hkv}`);
    return [{ shape: [b, h, s, v.shape[3]], dtype: "f32" }];
  },
  MLAAttention: (inputs) => {
    expectInputRange("MLAAttention", inputs, 4, 5);
    const [qLat, qPe, c, kPe] = inputs;
    expectRowBounds("MLAAttention", inputs[4], qLat.shape[0]);
    for (const [name, t, rank] of [["qLat", qLat, 4], ["qPe", qPe, 4], ["c", c, 3], ["kPe", kPe, 3]] as const) {
      expectDType("MLAAttention", name, t, FLOAT);
      if (t.shape.length !== rank) fail("MLAAttention", `${name} must have rank ${rank}, got ${formatShape(t.shape)}`);
    }
    const [b, h, s, dc] = qLat.shape;
    const all = `qLat ${formatShape(qLat.shape)}, qPe ${formatShape(qPe.shape)}, c ${formatShape(c.shape)}, kPe ${formatShape(kPe.shape)}`;
    if (qPe.shape[0] !== b || qPe.shape[1] !== h || qPe.shape[2] !== s) fail("MLAAttention", `qLat and qPe must agree on batch, heads and seq: ${all}`);
    if (c.shape[0] !== b || kPe.shape[0] !== b || c.shape[1] !== kPe.shape[1]) fail("MLAAttention", `c and kPe must agree on batch and tokens with q: ${all}`);
    if (c.shape[2] !== dc || kPe.shape[2] !== qPe.shape[3]) fail("MLAAttention", `latent and rope widths must match: ${all}`);
    return [{ shape: [b, h, s, dc], dtype: "f32" }];
  },
  CacheWrite: (inputs) => {
    expectInputs("CacheWrite", inputs, 3);
    const [cache, update, start] = inputs;
    expectDType("CacheWrite", "cache", cache, FLOAT);
    expectDType("CacheWrite", "start", start, ["i32"]);
    const r = cache.shape.length;
    if (r < 2 || update.dtype !== cache.dtype || update.shape.length !== r || update.shape.some((d, i) => i !== r - 2 && d !== cache.shape[i])) {
      fail("CacheWrite", `update ${formatShape(update.shape)} ${update.dtype} must match cache ${formatShape(cache.shape)} ${cache.dtype} except on axis ${r - 2}`);
    }
    if (sizeOf(start.shape) !== 1) fail("CacheWrite", `start must hold one index, got ${formatShape(start.shape)}`);
    if (update.shape[r - 2] > cache.shape[r - 2]) fail("CacheWrite", `update ${formatShape(update.shape)} has more rows than cache ${formatShape(cache.shape)}`);
    return unary(inputs, {});
  },
  AdamW: (inputs) => {
    expectInputs("AdamW", inputs, 4);
    const p = inputs[0];
    for (const t of inputs) {
      expectDType("AdamW", "state", t, FLOAT);
      if (sizeOf(t.shape) !== sizeOf(p.shape)) fail("AdamW", `param ${formatShape(p.shape)} and state ${formatShape(t.shape)} differ`);
    }
    return [0, 1, 2].map(() => ({ shape: [...p.shape], dtype: "f32" as DType }));
  },
};

function lastAxisFloat(kernel: string, inputs: TensorSpec[]): TensorSpec[] {
  expectInputs(kernel, inputs, 1);
  expectDType(kernel, "x", inputs[0], FLOAT);
  if (inputs[0].shape.length === 0) fail(kernel, "needs rank >= 1");
  return unary(inputs, {});
}

/** (rows, cols) of the last two dims, after an optional transpose. */
function matDims(shape: number[], transpose: boolean): [number, number] {
  const r = shape[shape.length - 2];
  const c = shape[shape.length - 1];
  return transpose ? [c, r] : [r, c];
}

function sameExceptAxis(kernel: string, a: number[], b: number[], axis: number): void {
  if (a.length !== b.length || a.some((d, i) => i !== axis && d !== b[i])) {
    fail(kernel, `shapes ${formatShape(a)} and ${formatShape(b)} must agree except on axis ${axis}`);
  }
}

export function inferOutputs<K extends KernelName>(kernel: K, inputs: TensorSpec[], attrs: KernelAttrs[K]): TensorSpec[] {
  const infer = table[kernel] as Infer<K> | undefined;
  if (infer === undefined) throw new ShapeError(`unknown kernel "${kernel}"`);
  return infer(inputs, attrs);
}
