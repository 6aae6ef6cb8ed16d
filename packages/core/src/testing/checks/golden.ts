/** Golden check: a case's outputs on the backend under test match values computed from the formula. */
import type { Backend } from "../../backend/backend.ts";
import type { AnyKernelCase } from "../cases/case.ts";
import { compareOutputs } from "../compare.ts";
import type { ResolvedOptions } from "../options.ts";
import { outputSpecs, runCase } from "../run-case.ts";

/** Whether the case has golden values or properties to check. */
export function hasGolden(c: AnyKernelCase): boolean {
  return c.expected !== undefined || c.check !== undefined;
}

export async function checkGolden(backend: Backend, c: AnyKernelCase, options: ResolvedOptions): Promise<void> {
  const outputs = await runCase(backend, c);
  if (c.expected) {
    // Shapes and dtypes default to what shape inference says, so a golden table that disagrees with it fails too.
    const specs = outputSpecs(c);
    const expected = c.expected.map((e, i) => ({ shape: e.shape ?? specs[i]?.shape, dtype: e.dtype ?? specs[i]?.dtype, values: e.values }));
    compareOutputs(outputs, expected, { tolerance: (dtype) => options.tolerance(c, dtype), what: `${c.name}: backend "${backend.name}" vs golden values` });
  }
  if (c.check) {
    const check = c.check as (o: typeof outputs, rerun: (attrs?: object) => ReturnType<typeof runCase>) => void | Promise<void>;
    await check(outputs, (attrs) => runCase(backend, c, { attrs: attrs as never }));
  }
}
