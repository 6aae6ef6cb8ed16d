/**
 * The fuzz suite in CI: every target's first cases from a fixed seed (the full 10,000 per target is
 * `tsx fuzz/run.ts`). Each case must end in success or a typed r1ts error naming the file; a failure
 * prints the case index and input (replay it with `tsx fuzz/run.ts --target NAME --replay INDEX`).
 */
import { describe, expect, it } from "vitest";
import { runFuzz } from "../harness/run-fuzz.ts";
import { fuzzTargets } from "../targets/index.ts";

const RUNS = Number(process.env.R1TS_FUZZ_RUNS ?? 300);
const SEED = 16;

describe("fuzzing every parser", () => {
  for (const target of Object.values(fuzzTargets)) {
    it(`${target.name}: ${RUNS} cases end in success or a typed error naming the file`, async () => {
      const report = await runFuzz(target.name, { numRuns: RUNS, seed: SEED, timeLimitMs: 10_000 });
      const failures = report.failures.map((f) => `case ${f.index} (${f.kind}): ${f.error}\n  input: ${f.preview}`).join("\n");
      expect(failures).toBe("");
      expect(report.counts.cases).toBe(RUNS);
      // The generators reach both sides: inputs the reader accepts and inputs it rejects.
      expect(report.counts.success).toBeGreaterThan(0);
      if (!target.reportsBadInput) expect(report.counts.typed).toBeGreaterThan(0);
    }, 110_000);
  }
});
