/** Making tensors: from values, constants, ranges, and seeded random initialisers. */
import { ShapeError } from "../errors.ts";
import type { Backend } from "../backend/backend.ts";
import type { DType, TypedArray } from "../tensor/dtype.ts";
import { engine } from "../tensor/engine.ts";
import { sizeOf } from "../tensor/shape.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import type { Generator } from "../random/generator.ts";

type NestedNumbers = number | boolean | NestedNumbers[];

function flatten(values: NestedNumbers, out: number[], shape: number[], depth: number): void {
  if (Array.isArray(values)) {
    if (shape.length === depth) shape.push(values.length);
    else if (shape[depth] !== values.length) throw new ShapeError(`tensor: ragged nested array (expected ${shape[depth]} items at depth ${depth}, got ${values.length})`);
    for (const v of values) flatten(v, out, shape, depth + 1);
  } else {
    if (shape.length !== depth && depth < shape.length) throw new ShapeError("tensor: ragged nested array");
    out.push(Number(values));
  }
}

function firstLeaf(values: NestedNumbers): number | boolean | undefined {
  let v: NestedNumbers | undefined = values;
  while (Array.isArray(v)) v = v[0];
  return v;
}

/**
 * A tensor from a typed array, a flat array with a shape, or nested arrays.
 * dtype defaults to i32 for Int32Array, bool for booleans, else f32.
 */
export function tensor(values: TypedArray | NestedNumbers, shape?: readonly number[], dtype?: DType, backend?: Backend): Tensor {
  if (ArrayBuffer.isView(values)) {
    const dt = dtype ?? (values instanceof Int32Array ? "i32" : "f32");
    return engine.makeTensor(values as TypedArray, shape ?? [values.length], dt, backend);
  }
  const flat: number[] = [];
  const inferred: number[] = [];
  flatten(values, flat, inferred, 0);
  const isBool = typeof firstLeaf(values) === "boolean";
  return engine.makeTensor(flat, shape ?? inferred, dtype ?? (isBool ? "bool" : "f32"), backend);
}

export function scalar(value: number, dtype: DType = "f32", backend?: Backend): Tensor {
  return engine.makeTensor([value], [], dtype, backend);
}

export function full(shape: readonly number[], value: number, dtype: DType = "f32", backend?: Backend): Tensor {
  const values = new Array<number>(sizeOf(shape)).fill(value);
  return engine.makeTensor(values, shape, dtype, backend);
}

export function zeros(shape: readonly number[], dtype: DType = "f32", backend?: Backend): Tensor {
  return full(shape, 0, dtype, backend);
}

export function ones(shape: readonly number[], dtype: DType = "f32", backend?: Backend): Tensor {
  return full(shape, 1, dtype, backend);
}

export function zerosLike(x: Tensor): Tensor {
  return full(x.shape, 0, x.dtype, x.backend);
}

export function onesLike(x: Tensor): Tensor {
  return full(x.shape, 1, x.dtype, x.backend);
}

/** [start, start + step, ...) up to `stop` (exclusive). */
export function arange(start: number, stop: number, step = 1, dtype: DType = "i32", backend?: Backend): Tensor {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return engine.makeTensor(Array.from({ length: n }, (_, i) => start + i * step), [n], dtype, backend);
}

/** Normal(mean, std) values drawn on the host from a seeded generator. */
export function randomNormal(shape: readonly number[], generator: Generator, std = 1, mean = 0, backend?: Backend): Tensor {
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = mean + std * generator.normal();
  return engine.makeTensor(values, shape, "f32", backend);
}

/** Uniform [low, high) values drawn on the host from a seeded generator. */
export function randomUniform(shape: readonly number[], generator: Generator, low = 0, high = 1, backend?: Backend): Tensor {
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = low + (high - low) * generator.uniform();
  return engine.makeTensor(values, shape, "f32", backend);
}

/**
 * A named trainable variable that takes over `initial`'s buffer: `initial` is disposed (so
 * `variable(tensor(...), "w")` leaks nothing) and must not be used afterwards.
 */
export function variable(initial: Tensor, name: string, trainable = true): Variable {
  const v = engine.makeVariable(initial, name, trainable);
  initial.dispose();
  return v;
}

/** Copies `x` to another backend (through the host). */
export async function toBackend(x: Tensor, backend: Backend): Promise<Tensor> {
  if (x.backend === backend) return engine.view(x, x.shape, "Identity");
  return engine.makeTensor(await x.data(), x.shape, x.dtype, backend);
}
