/** What the tests import from the package (one place, so test files read the public API). */
import { registeredBackends } from "@r1ts/core";
import type { BackendFactory } from "@r1ts/core";
export * from "../src/index.ts";

/** The registry entry this package added on import. */
export function registeredTfjs(): BackendFactory {
  const factory = registeredBackends().find((f) => f.name === "tfjs");
  if (!factory) throw new Error("tfjs is not registered");
  return factory;
}
