/**
 * Runs inside the fuzz process: generates the cases of one target from a seed with fast-check and feeds
 * each to the target's reader, posting `start` and `end` for every case so the parent can stop a
 * case that hangs. Cases before `skip` are generated but not run (resuming after a hang).
 */
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { classify } from "./outcome.ts";
import type { Outcome } from "./outcome.ts";
import type { CaseFiles, FuzzTarget } from "./target.ts";
import { fuzzTargets } from "../targets/index.ts";

export interface CaseRunRequest {
  target: string;
  seed: number;
  numRuns: number;
  /** Run cases from this index on. */
  skip: number;
  /** A folder for the cases' files. */
  scratch: string;
  /** Only this case, with its full input in the report. */
  replay?: number;
}

export type CaseMessage =
  | { type: "start"; index: number; preview: string; input?: string }
  | { type: "end"; index: number; outcome: Outcome }
  | { type: "done" };

export class HarnessError extends Error {}

async function runOne(target: FuzzTarget, input: unknown, files: CaseFiles): Promise<Outcome> {
  await rm(files.dir, { recursive: true, force: true });
  await mkdir(files.dir, { recursive: true });
  let named: string;
  try {
    named = await target.write(input, files);
  } catch (error) {
    // A target that cannot lay out its own input is a bug in the fuzzer, not in r1ts: stop loudly.
    throw new HarnessError(`${target.name}: writing the input failed: ${(error as Error)?.stack ?? String(error)}`);
  }
  try {
    await target.read(named);
    return { kind: "success" };
  } catch (error) {
    return classify(error, named);
  }
}

export async function runCases(request: CaseRunRequest, post: (message: CaseMessage) => void): Promise<void> {
  const target = fuzzTargets[request.target];
  if (target === undefined) throw new Error(`unknown fuzz target "${request.target}" (known: ${Object.keys(fuzzTargets).join(", ")})`);
  const dir = path.join(request.scratch, "case");
  const files: CaseFiles = { dir, path: (name) => path.join(dir, name) };
  // Readers that print (the rewards command's summary) would flood the report.
  for (const key of ["log", "info", "warn", "error"] as const) console[key] = () => {};
  let index = -1;
  const property = fc.asyncProperty(target.arbitrary, async (input) => {
    index++;
    if (index < request.skip || (request.replay !== undefined && index !== request.replay)) return true;
    // The preview goes with "start": a case that hangs never reaches "end".
    post({ type: "start", index, preview: target.preview(input, 400), ...(request.replay !== undefined ? { input: target.preview(input, Infinity) } : {}) });
    const outcome = await runOne(target, input, files);
    post({ type: "end", index, outcome });
    return true;
  });
  const numRuns = request.replay !== undefined ? request.replay + 1 : request.numRuns;
  const result = await fc.check(property, { seed: request.seed, numRuns, endOnFailure: true });
  // The property never fails on purpose; a failure is the harness's own error (and must not be shrunk into more "cases").
  if (result.failed) throw new HarnessError(`fuzz harness failed at case ${index}: ${String((result.errorInstance as Error)?.stack ?? result.errorInstance)}`);
  post({ type: "done" });
}
