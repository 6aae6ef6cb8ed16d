#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader (no build step in the workspace). Every error
// ends here as one message and an exit code: some dependencies (tfjs-wasm) install process-level
// exception handlers that would otherwise print their own source code.
import { register } from "tsx/esm/api";

register();
const verbose = process.argv.includes("--verbose");
const fail = (error) => {
  process.stderr.write(`r1ts: internal error: ${verbose ? error?.stack ?? error : error?.message ?? error}\n`);
  process.exit(1);
};
try {
  const { main } = await import("../src/main.ts");
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  fail(error);
}
