/**
 * The conformance suite on the reference backend itself, with and without its fused kernels; and
 * checks that the suite's checks do catch broken backends (mutants of the reference backend).
 */
import { describe, expect, it } from "vitest";
import { createReferenceBackend, engine, mul, registerGradient } from "../src/index.ts";
import type { Backend, FusedKernelImpls, KernelImpl, PrimitiveKernelImpls, TensorInfo } from "../src/index.ts";
import { getGradient } from "../src/autograd/registry.ts";
import type { HostBuffer } from "../src/backend/reference/buffer.ts";
import {
  AllCloseError,
  CONFORMANCE_CASES,
  LeakError,
  allClose,
  checkFiniteDifferences,
  checkFusedAgainstComposed,
  checkGolden,
  checkGradientParity,
  checkParity,
  coverageProblems,
  describeConformance,
  expectAllClose,
  resolveOptions,
} from "../src/testing/index.ts";
import type { AnyKernelCase } from "../src/testing/index.ts";

describeConformance("reference", () => createReferenceBackend());
// Without fused kernels, every fused case runs core's composed fallback.
describeConformance("reference-unfused", () => createReferenceBackend({ fused: false }));
describeConformance("never created", () => Promise.reject(new Error("a skipped suite must not create its backend")), { skip: "demonstrates options.skip" });

const valuesOf = (t: TensorInfo | object): Float32Array => ((("dataId" in t ? t.dataId : t) as HostBuffer).values as Float32Array);

/**
 * The reference backend with some kernels replaced. A replacement gets the original kernel to build on,
 * and the base backend (whose `write` makes a buffer the mutant counts as its own).
 */
function mutant(
  primitives: { [K in keyof PrimitiveKernelImpls]?: (original: PrimitiveKernelImpls[K], base: Backend) => PrimitiveKernelImpls[K] },
  fused: { [K in keyof FusedKernelImpls]?: (original: FusedKernelImpls[K], base: Backend) => FusedKernelImpls[K] } = {},
): Backend {
  const base = createReferenceBackend();
  const kernels = { ...base.kernels } as Record<string, unknown>;
  for (const [k, wrap] of Object.entries(primitives)) kernels[k] = (wrap as (o: unknown, b: Backend) => unknown)(kernels[k], base);
  const fusedKernels = { ...base.fused } as Record<string, unknown>;
  for (const [k, wrap] of Object.entries(fused)) fusedKernels[k] = (wrap as (o: unknown, b: Backend) => unknown)(fusedKernels[k], base);
  return { ...base, name: "mutant", kernels: kernels as unknown as PrimitiveKernelImpls, fused: fusedKernels as Partial<FusedKernelImpls> };
}

/** Scales every output value of a kernel by `factor` (a slightly wrong kernel). */
function scaled<A>(factor: number): (original: KernelImpl<A>) => KernelImpl<A> {
  return (original) => (inputs, attrs, outputs) => {
    const ids = original(inputs, attrs, outputs);
    const v = valuesOf(ids[0]);
    for (let i = 0; i < v.length; i++) v[i] *= factor;
    return ids;
  };
}

function caseNamed(name: string): AnyKernelCase {
  const c = CONFORMANCE_CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no case "${name}"`);
  return c;
}

const options = resolveOptions();
const reference = createReferenceBackend();
const unfused = createReferenceBackend({ fused: false });

describe("the conformance checks catch broken backends", () => {
  it("a slightly wrong kernel fails golden and parity checks with a readable message", async () => {
    const b = mutant({ Exp: scaled(1.001) });
    await expect(checkGolden(b, caseNamed("Exp: golden"), options)).rejects.toThrow(/Exp: golden: backend "mutant" vs golden values[\s\S]*first at \[\d+\]: actual/);
    await expect(checkParity(b, reference, caseNamed("Exp: random [2,3]"), options)).rejects.toThrow(AllCloseError);
    await expect(checkParity(b, reference, caseNamed("Sin: random [2,3]"), options)).resolves.toBeUndefined();
  });

  it("a softmax without the max subtraction fails on logits of 1000", async () => {
    const b = mutant({
      Softmax: (original) => (inputs, attrs, outputs) => {
        const ids = original(inputs, attrs, outputs);
        const x = valuesOf(inputs[0]);
        const y = valuesOf(ids[0]);
        const n = inputs[0].shape[inputs[0].shape.length - 1];
        for (let r = 0; r < x.length; r += n) {
          let s = 0;
          for (let j = 0; j < n; j++) s += Math.fround(Math.exp(x[r + j]));
          for (let j = 0; j < n; j++) y[r + j] = Math.fround(Math.exp(x[r + j])) / s;
        }
        return ids;
      },
    });
    await expect(checkParity(b, reference, caseNamed("Softmax: random [2,5]"), options)).resolves.toBeUndefined();
    await expect(checkParity(b, reference, caseNamed("Softmax: logits 1000, 0, -1000"), options)).rejects.toThrow(/actual NaN/);
  });

  it("top-k that breaks ties by the higher index fails the tie case", async () => {
    const b = mutant({
      TopK: (original) => (inputs, attrs, outputs) => {
        const ids = original(inputs, attrs, outputs);
        const values = valuesOf(ids[0]);
        const indices = valuesOf(ids[1]) as unknown as Int32Array;
        // Reverse each run of equal values' indices.
        for (let i = 0; i < values.length; ) {
          let j = i;
          while (j + 1 < values.length && values[j + 1] === values[i]) j++;
          indices.subarray(i, j + 1).reverse();
          i = j + 1;
        }
        return ids;
      },
    });
    await expect(checkGolden(b, caseNamed("TopK: ties keep the lower index first"), options)).rejects.toThrow(/output 1/);
  });

  it("a kernel that leaks a buffer fails every check that runs it", async () => {
    let leaked = 0;
    const base = createReferenceBackend();
    const b: Backend = {
      ...base,
      kernels: {
        ...base.kernels,
        Neg: (inputs, attrs, outputs) => {
          leaked++;
          base.write(new Float32Array(1), [1], "f32");
          return base.kernels.Neg(inputs, attrs, outputs);
        },
      },
    };
    await expect(checkParity(b, reference, caseNamed("Neg: random [2,3]"), options)).rejects.toThrow(LeakError);
    await expect(checkGradientParity(b, reference, caseNamed("Sub: same shape [2,3]"), options)).rejects.toThrow(/gradient of case "Sub: same shape \[2,3\]" leaked 1 buffer/);
    expect(leaked).toBeGreaterThan(0);
  });

  it("a fused kernel that disagrees with its composed fallback fails", async () => {
    // RMSNorm with the mean over D - 1 elements instead of D.
    const b = mutant({}, {
      RMSNorm: (_original, base) => ([x, weight], { eps }) => {
        const src = valuesOf(x);
        const w = valuesOf(weight);
        const d = w.length;
        const dst = new Float32Array(src.length);
        for (let r = 0; r < src.length; r += d) {
          let ms = 0;
          for (let j = 0; j < d; j++) ms += src[r + j] * src[r + j];
          const inv = 1 / Math.sqrt(ms / (d - 1) + eps);
          for (let j = 0; j < d; j++) dst[r + j] = src[r + j] * inv * w[j];
        }
        return [base.write(dst, x.shape, "f32")];
      },
    });
    const c = caseNamed("RMSNorm: random [2,3,4]");
    await expect(checkFusedAgainstComposed(b, unfused, c, options)).rejects.toThrow(/composed fallback/);
  });

  it("a wrong kernel used only by a backward pass fails the gradient checks", async () => {
    // Sin's forward is right, but its gradient runs the (wrong) Cos kernel.
    const b = mutant({ Cos: scaled(1.05) });
    const c = caseNamed("Sin: random [2,3]");
    await expect(checkParity(b, reference, c, options)).resolves.toBeUndefined();
    await expect(checkGradientParity(b, reference, c, options)).rejects.toThrow(/gradients on backend "mutant"/);
    await expect(checkFiniteDifferences(b, c, options)).rejects.toThrow(/finite differences/);
  });

  it("a wrong registered gradient fails the finite-difference check", async () => {
    const original = getGradient("Tanh");
    registerGradient("Tanh", (dy, { outputs: [y] }) => [mul(dy, mul(y, y))]);
    try {
      await expect(checkFiniteDifferences(reference, caseNamed("Tanh: random [2,3]"), options)).rejects.toThrow(/Tanh: random \[2,3\]: gradient of input 0/);
    } finally {
      registerGradient("Tanh", original);
    }
    await expect(checkFiniteDifferences(reference, caseNamed("Tanh: random [2,3]"), options)).resolves.toBeUndefined();
  });

  it("the table must cover every kernel", () => {
    expect(coverageProblems(CONFORMANCE_CASES)).toEqual([]);
    expect(coverageProblems(CONFORMANCE_CASES.filter((c) => c.kernel !== "Cumsum"))).toContain("kernel Cumsum has no conformance case");
    expect(coverageProblems(CONFORMANCE_CASES.filter((c) => c.kernel !== "Relu" || c.gradient === false))).toContain("differentiable kernel Relu has no gradient case");
  });
});

describe("allClose", () => {
  it("passes within atol + rtol * |expected|, treating NaN as equal to NaN and -0 as 0", () => {
    expect(allClose([1, 2.0001, NaN, -0, Infinity], [1, 2, NaN, 0, Infinity], { rtol: 1e-4, atol: 0 }).pass).toBe(true);
    expect(allClose([1e-7], [0], { rtol: 0, atol: 1e-6 }).pass).toBe(true);
  });

  it("fails on NaN vs a number, opposite infinities, and lengths", () => {
    expect(allClose([NaN], [1]).pass).toBe(false);
    expect(allClose([1], [NaN]).pass).toBe(false);
    expect(allClose([Infinity], [-Infinity]).pass).toBe(false);
    expect(allClose([1, 2], [1]).message).toMatch(/2 elements, expected 1/);
  });

  it("names the first mismatch by its multi-dimensional index, with the largest difference", () => {
    const r = allClose([0, 1, 2, 3, 4, 9], [0, 1, 2, 3.5, 4, 5], { rtol: 0, atol: 0.1 }, { shape: [2, 3], what: "y" });
    expect(r.pass).toBe(false);
    expect(r.mismatches).toBe(2);
    expect(r.firstMismatch).toBe(3);
    expect(r.maxAbsDiff).toBe(4);
    expect(r.message).toContain("y: 2 of 6 elements differ");
    expect(r.message).toContain("first at [1, 0]: actual 3, expected 3.5");
    expect(r.message).toContain("max |diff| 4 at [1, 2]");
    expect(() => expectAllClose([1], [2])).toThrow(AllCloseError);
  });
});

describe("TopK and NaN", () => {
  // NaN counts as the largest value (as torch.topk does), so finite values still come out sorted.
  it("puts NaN first and the finite values in descending order", () => {
    const b = createReferenceBackend();
    const [values, indices] = engine.runKernel("TopK", [engine.makeTensor([1, NaN, 3, 2], [1, 4], "f32", b)], { k: 4 });
    const v = Array.from(values.dataSync());
    const i = Array.from(indices.dataSync());
    values.dispose();
    indices.dispose();
    expect(Number.isNaN(v[0])).toBe(true);
    expect(v.slice(1)).toEqual([3, 2, 1]);
    expect(i).toEqual([1, 2, 3, 0]);
  });
});
