/**
 * Gradient checks of differentiable kernels, on loss = sum(out * w) with fixed random w:
 * analytic gradients (core's gradient registry running on the backend under test) against central
 * finite differences of the backend's own forward pass, and against the reference backend's gradients.
 */
import type { Backend } from "../../backend/backend.ts";
import { NON_DIFFERENTIABLE_KERNELS } from "../../backend/kernels.ts";
import { valueAndGradsOf } from "../../autograd/grad.ts";
import { engine } from "../../tensor/engine.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { AllCloseError, allClose } from "../all-close.ts";
import type { AnyKernelCase, OutputValues } from "../cases/case.ts";
import { compareOutputs } from "../compare.ts";
import type { ResolvedOptions } from "../options.ts";
import { assertNoLeak, hostInputs, lossWeights, makeInputs, outputSpecs, readOutputs, runCase, runKernelOn } from "../run-case.ts";

/** Whether the case's gradient is checked: a differentiable kernel with an f32 input and an f32 output. */
export function isGradientCase(c: AnyKernelCase): boolean {
  if (NON_DIFFERENTIABLE_KERNELS.has(c.kernel) || c.gradient === false) return false;
  if (!c.inputs.some((s) => s.dtype === "f32")) return false;
  return outputSpecs(c)[0].dtype === "f32";
}

/** Whether the gradient is also checked by finite differences (not at ties or kinks). */
export function isFiniteDifferenceCase(c: AnyKernelCase): boolean {
  return isGradientCase(c) && !(c.gradient && c.gradient.finiteDifference === false);
}

/** Indices of the inputs gradients are taken with respect to: every f32 input. */
function sourceIndices(c: AnyKernelCase): number[] {
  return c.inputs.flatMap((s, i) => (s.dtype === "f32" ? [i] : []));
}

/** d sum(out * w) / d input for every f32 input, computed by autograd on `backend`. Leaks nothing. */
export async function analyticGradients(backend: Backend, c: AnyKernelCase): Promise<OutputValues[]> {
  const before = backend.numBuffers();
  const owned: Tensor[] = [];
  let result: OutputValues[];
  try {
    const inputs = makeInputs(c, backend);
    owned.push(...inputs);
    const sources = sourceIndices(c).map((i) => inputs[i]);
    const dy = engine.makeTensor(lossWeights(c), outputSpecs(c)[0].shape, "f32", backend);
    owned.push(dy);
    const { value, grads } = valueAndGradsOf(() => runKernelOn(c.kernel, inputs, c.attrs as never)[0], sources, dy);
    owned.push(value, ...grads);
    result = await readOutputs(grads);
  } finally {
    for (const t of owned) t.dispose();
  }
  assertNoLeak(backend, before, `the gradient of case "${c.name}"`);
  return result;
}

/** sum(out * w) in f64 from a run of the case on `backend` with the given input values. */
async function loss(backend: Backend, c: AnyKernelCase, values: number[][], w: number[]): Promise<number> {
  const [out] = await runCase(backend, c, { values });
  let total = 0;
  for (let i = 0; i < w.length; i++) total += out.values[i] * w[i];
  return total;
}

/**
 * Central differences (L(x + h) - L(x - h)) / (x+ - x-) for every element of every f32 input, where
 * x+ and x- are x +- h rounded to f32 (the perturbation the kernel really sees).
 */
export async function finiteDifferenceGradients(backend: Backend, c: AnyKernelCase, step: number): Promise<number[][]> {
  const base = hostInputs(c);
  const w = lossWeights(c);
  const result: number[][] = [];
  for (const i of sourceIndices(c)) {
    const grad: number[] = [];
    for (let j = 0; j < base[i].length; j++) {
      const x = base[i][j];
      const h = step * Math.max(1, Math.abs(x));
      const plus = Math.fround(x + h);
      const minus = Math.fround(x - h);
      const at = (v: number): number[][] => base.map((input, k) => (k === i ? input.map((u, n) => (n === j ? v : u)) : input));
      grad.push(((await loss(backend, c, at(plus), w)) - (await loss(backend, c, at(minus), w))) / (plus - minus));
    }
    result.push(grad);
  }
  return result;
}

export async function checkFiniteDifferences(backend: Backend, c: AnyKernelCase, options: ResolvedOptions): Promise<void> {
  const { finiteDifference: tol } = options.gradient(c);
  const analytic = await analyticGradients(backend, c);
  const numeric = await finiteDifferenceGradients(backend, c, tol.step);
  const indices = sourceIndices(c);
  analytic.forEach((g, k) => {
    const result = allClose(g.values, numeric[k], tol, { shape: g.shape, what: `${c.name}: gradient of input ${indices[k]}, autograd on "${backend.name}" vs finite differences (step ${tol.step})` });
    if (!result.pass) throw new AllCloseError(result.message);
  });
}

export async function checkGradientParity(backend: Backend, reference: Backend, c: AnyKernelCase, options: ResolvedOptions): Promise<void> {
  const actual = await analyticGradients(backend, c);
  const expected = await analyticGradients(reference, c);
  const tol = options.gradient(c).parity;
  compareOutputs(actual, expected, { tolerance: () => tol, what: `${c.name}: gradients on backend "${backend.name}" vs the reference backend` });
}
