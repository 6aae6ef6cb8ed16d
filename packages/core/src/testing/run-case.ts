/**
 * Running a conformance case on a backend: seeded host inputs, the kernel (or, for a fused kernel the
 * backend lacks, core's composed fallback), outputs read back with `await data()`, and a check that
 * every buffer made on the way was released.
 */
import type { Backend } from "../backend/backend.ts";
import type { FusedKernel, KernelAttrs, KernelName } from "../backend/kernels.ts";
import { FUSED_KERNELS } from "../backend/kernels.ts";
import { inferOutputs } from "../backend/shape-inference.ts";
import type { TensorSpec } from "../backend/shape-inference.ts";
import { composedKernels } from "../ops/fused/composed.ts";
import { Generator } from "../random/generator.ts";
import { engine } from "../tensor/engine.ts";
import { sizeOf } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { AnyKernelCase, OutputValues } from "./cases/case.ts";

const FUSED: ReadonlySet<string> = new Set(FUSED_KERNELS);

export function isFusedKernel(kernel: KernelName): kernel is FusedKernel {
  return FUSED.has(kernel);
}

/** A stable 32-bit seed from a string (FNV-1a), so a case's random inputs do not depend on table order. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const hostInputCache = new WeakMap<AnyKernelCase, number[][]>();

/** The case's input values on the host (drawn once per case from a generator seeded by its name). */
export function hostInputs(c: AnyKernelCase): number[][] {
  let values = hostInputCache.get(c);
  if (!values) {
    values = c.inputs.map((spec, i) => {
      const size = sizeOf(spec.shape);
      const v = typeof spec.values === "function" ? spec.values(new Generator(seedOf(`${c.name}/input ${i}`)), size) : [...spec.values];
      if (v.length !== size) throw new Error(`conformance case "${c.name}": input ${i} has ${v.length} values for shape [${spec.shape.join(",")}]`);
      return v;
    });
    hostInputCache.set(c, values);
  }
  return values;
}

/** Output shapes and dtypes, from shape inference alone. */
export function outputSpecs(c: AnyKernelCase): TensorSpec[] {
  return inferOutputs(c.kernel, c.inputs.map((s) => ({ shape: [...s.shape], dtype: s.dtype })), c.attrs as never);
}

/** Fixed random weights w of the loss sum(out * w) that gradients are taken of. */
export function lossWeights(c: AnyKernelCase): number[] {
  const g = new Generator(seedOf(`${c.name}/loss weights`));
  return Array.from({ length: sizeOf(outputSpecs(c)[0].shape) }, () => g.normal());
}

export function makeInputs(c: AnyKernelCase, backend: Backend, values: number[][] = hostInputs(c)): Tensor[] {
  const made: Tensor[] = [];
  try {
    c.inputs.forEach((spec, i) => made.push(engine.makeTensor(values[i], spec.shape, spec.dtype, backend)));
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  return made;
}

/**
 * Runs `kernel` on the backend of `inputs`: its own kernel, or for a fused kernel it does not
 * implement, core's composed fallback (as the fused ops do). Intermediates are freed.
 */
export function runKernelOn<K extends KernelName>(kernel: K, inputs: Tensor[], attrs: KernelAttrs[K]): Tensor[] {
  const backend = inputs[0].backend;
  return engine.withBackend(backend, () => {
    if (isFusedKernel(kernel) && !backend.fused[kernel]) {
      const composed = composedKernels[kernel] as (i: Tensor[], a: unknown) => Tensor[];
      return engine.tidy(() => composed(inputs, attrs));
    }
    return engine.runKernel(kernel, inputs, attrs);
  });
}

export async function readOutputs(outputs: readonly Tensor[]): Promise<OutputValues[]> {
  return Promise.all(outputs.map(async (t) => ({ shape: [...t.shape], dtype: t.dtype, values: await t.data() })));
}

export class LeakError extends Error {
  override readonly name = "LeakError";
}

/** Throws when the backend holds more (or fewer) buffers than before `what` ran. */
export function assertNoLeak(backend: Backend, before: number, what: string): void {
  const after = backend.numBuffers();
  if (after !== before) {
    const change = after > before ? `leaked ${after - before} buffer(s)` : `released ${before - after} buffer(s) it did not own`;
    throw new LeakError(`${what} ${change} on backend "${backend.name}" (numBuffers ${before} before, ${after} after)`);
  }
}

export interface RunOptions<K extends KernelName> {
  /** Replaces some attributes (properties such as determinism rerun with another seed). */
  attrs?: Partial<KernelAttrs[K]>;
  /** Replaces the host input values (finite differences). */
  values?: number[][];
}

/** Runs a case on `backend` and reads its outputs; every tensor is disposed and no buffer may remain. */
export async function runCase(backend: Backend, c: AnyKernelCase, options: RunOptions<KernelName> = {}): Promise<OutputValues[]> {
  const before = backend.numBuffers();
  const attrs = options.attrs ? { ...c.attrs, ...options.attrs } : c.attrs;
  let inputs: Tensor[] = [];
  let outputs: Tensor[] = [];
  let result: OutputValues[];
  try {
    inputs = makeInputs(c, backend, options.values);
    outputs = runKernelOn(c.kernel, inputs, attrs as never);
    result = await readOutputs(outputs);
  } finally {
    for (const t of [...outputs, ...inputs]) t.dispose();
  }
  assertNoLeak(backend, before, `case "${c.name}"`);
  return result;
}
