/**
 * describeConformance: the conformance suite as vitest tests, for any backend package to run in its own
 * tests. Every case runs on the backend under test and is checked against golden values, the reference
 * backend, core's composed fallbacks (fused kernels), finite differences and the reference's gradients;
 * every run must release every buffer it made.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Backend } from "../backend/backend.ts";
import { createReferenceBackend } from "../backend/reference/index.ts";
import type { AnyKernelCase } from "./cases/case.ts";
import { CONFORMANCE_CASES } from "./cases/index.ts";
import { coverageProblems } from "./checks/coverage.ts";
import { checkGolden, hasGolden } from "./checks/golden.ts";
import { checkFiniteDifferences, checkGradientParity, isFiniteDifferenceCase, isGradientCase } from "./checks/gradients.ts";
import { checkFusedAgainstComposed, checkParity, hasComposedFallback } from "./checks/parity.ts";
import { resolveOptions } from "./options.ts";
import type { ConformanceOptions } from "./options.ts";
import { assertNoLeak } from "./run-case.ts";

/** Creates the backend under test (once per suite); may be async (GPU adapters). */
export type CreateBackend = () => Backend | Promise<Backend>;

interface Backends {
  tested: Backend;
  reference: Backend;
  unfused: Backend;
}

export function describeConformance(name: string, create: CreateBackend, options: ConformanceOptions = {}): void {
  const title = `conformance: ${name}`;
  if (options.skip !== undefined) {
    describe(title, () => {
      it.skip(`skipped: ${options.skip}`, () => {});
    });
    return;
  }
  const cases = options.cases ?? CONFORMANCE_CASES;
  const resolved = resolveOptions(options);

  describe(title, () => {
    let backends: Backends | undefined;
    let buffersAtStart = 0;
    beforeAll(async () => {
      const tested = await create();
      backends = { tested, reference: createReferenceBackend(), unfused: createReferenceBackend({ fused: false }) };
      buffersAtStart = tested.numBuffers();
    });
    afterAll(() => {
      backends?.tested.destroy?.();
    });
    const get = (): Backends => {
      if (!backends) throw new Error(`backend "${name}" was not created (see the error of beforeAll)`);
      return backends;
    };

    /** One test per case; skipped (with the reason) when the backend says so. */
    const eachCase = (selected: readonly AnyKernelCase[], run: (b: Backends, c: AnyKernelCase) => Promise<void>): void => {
      for (const c of selected) {
        const reason = resolved.skipReason(c);
        if (reason !== undefined) it.skip(`${c.name} (skipped: ${reason})`, () => {});
        else it(c.name, () => run(get(), c));
      }
    };

    it("has cases for every kernel and gradient checks for every differentiable kernel", () => {
      const problems = coverageProblems(cases);
      if (problems.length > 0) throw new Error(`the conformance table is incomplete:\n  ${problems.join("\n  ")}`);
    });

    describe("golden values", () => {
      eachCase(cases.filter(hasGolden), (b, c) => checkGolden(b.tested, c, resolved));
    });

    describe("parity with the reference backend", () => {
      eachCase(cases, (b, c) => checkParity(b.tested, b.reference, c, resolved));
    });

    describe("fused kernels vs composed fallbacks", () => {
      eachCase(cases.filter(hasComposedFallback), (b, c) => checkFusedAgainstComposed(b.tested, b.unfused, c, resolved));
    });

    describe("gradients vs finite differences", () => {
      eachCase(cases.filter(isFiniteDifferenceCase), (b, c) => checkFiniteDifferences(b.tested, c, resolved));
    });

    describe("gradients: parity with the reference backend", () => {
      eachCase(cases.filter(isGradientCase), (b, c) => checkGradientParity(b.tested, b.reference, c, resolved));
    });

    it("holds no more buffers than when it was created", () => {
      assertNoLeak(get().tested, buffersAtStart, "the conformance suite");
    });
  });
}
