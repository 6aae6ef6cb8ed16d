/** The example of docs/backend-tfjs.md runs as written and prints what the doc says. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import * as core from "@r1ts/core";
import "../src/index.ts";

const DOC = fileURLToPath(new URL("../../../docs/backend-tfjs.md", import.meta.url));

/** The first ```ts block after the marker comment. */
function docExample(): string {
  const text = readFileSync(DOC, "utf8");
  const at = text.indexOf("<!-- This block is run by packages/backend-tfjs/test/docs-example.test.ts. -->");
  const match = /```ts\n([\s\S]*?)```/.exec(text.slice(at));
  if (at < 0 || !match) throw new Error("docs/backend-tfjs.md lost its tested example");
  return match[1];
}

it("the doc's example picks a device, says why, and multiplies", async () => {
  const code = docExample();
  const imports = code.split("\n").filter((l) => l.startsWith("import "));
  // The example imports only from @r1ts/core (named bindings) and registers the backend by import.
  expect(imports).toEqual([`import { matmul, setBackend, tensor } from "@r1ts/core";`, `import "@r1ts/backend-tfjs";`]);
  const body = code.split("\n").filter((l) => !l.startsWith("import ")).join("\n");
  const printed: unknown[] = [];
  const log = (value: unknown): void => void printed.push(value);
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  const run = new AsyncFunction("matmul", "setBackend", "tensor", "console", body);
  try {
    await run(core.matmul, core.setBackend, core.tensor, { log });
  } finally {
    await core.setBackend("reference");
  }
  expect(printed[0]).toMatch(/^tfjs device "wasm" \(XNNPACK kernels compiled to WebAssembly, through @tensorflow\/tfjs-backend-wasm\), requested "auto"; skipped gpu: @tensorflow\/tfjs-node-gpu is not installed .*; node: @tensorflow\/tfjs-node is not installed/);
  expect(printed[1]).toEqual([[3], [7]]);
});
