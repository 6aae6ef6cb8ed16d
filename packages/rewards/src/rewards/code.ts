/**
 * code (docs/rewards.md): runs the completion's JavaScript against the row's test cases in a QuickJS sandbox
 * (see code/sandbox.ts) and scores the fraction passed, or 1/0 in "binary" mode (1 when the fraction is
 * above binaryThreshold, 0.99). No code: 0. No tests for the row: null. Whatever the code does (loops,
 * allocates, reads files, exits, prints without end), it is contained, scores 0 for that test, and the
 * run goes on.
 */
import { defineReward, z } from "@r1ts/core";
import type { RewardBatch } from "@r1ts/core";
import { extractCode } from "../code/extract-code.ts";
import { CodeSandbox, DEFAULT_SANDBOX_LIMITS } from "../code/sandbox.ts";
import type { CodeTest, SandboxLimits } from "../code/sandbox.ts";

export const codeOptions = z.object({
  /** The column with the test cases: an array (or JSON string of one) of assertion strings or { input, output }. */
  testsColumn: z.string().min(1).default("tests"),
  mode: z.enum(["fraction", "binary"]).default("fraction"),
  binaryThreshold: z.number().min(0).max(1).default(0.99),
  timeLimitMs: z.number().int().positive().default(DEFAULT_SANDBOX_LIMITS.timeMs),
  memoryLimitMb: z.number().positive().max(1024).default(DEFAULT_SANDBOX_LIMITS.memoryBytes / 2 ** 20),
  maxOutputBytes: z.number().int().positive().default(DEFAULT_SANDBOX_LIMITS.maxOutputBytes),
}).strict();

export type CodeOptions = z.output<typeof codeOptions>;

const testSchema = z.union([z.string(), z.object({ input: z.string().optional(), output: z.string() })]);

/** The row's tests, or null when it has none (or they are malformed, which is reported). */
function rowTests(value: unknown, warn: (m: string) => void, row: number): CodeTest[] | null {
  if (value === undefined || value === null) return null;
  let list = value;
  if (typeof value === "string") {
    try {
      list = JSON.parse(value);
    } catch {
      warn(`row ${row}: tests are a string but not JSON; expected an array of tests`);
      return null;
    }
  }
  const parsed = z.array(testSchema).safeParse(list);
  if (!parsed.success) {
    warn(`row ${row}: tests must be an array of assertion strings or { input, output } objects`);
    return null;
  }
  return parsed.data.length === 0 ? null : parsed.data;
}

export async function codeScores(batch: RewardBatch, options: CodeOptions, warn: (m: string) => void, signal?: AbortSignal): Promise<(number | null)[]> {
  const limits: SandboxLimits = {
    ...DEFAULT_SANDBOX_LIMITS,
    timeMs: options.timeLimitMs,
    memoryBytes: Math.round(options.memoryLimitMb * 2 ** 20),
    maxOutputBytes: options.maxOutputBytes,
  };
  const sandbox = new CodeSandbox(limits);
  const abort = () => sandbox.close();
  signal?.addEventListener("abort", abort);
  try {
    const scores: (number | null)[] = [];
    for (const [i, completion] of batch.completions.entries()) {
      const tests = rowTests(batch.columns[options.testsColumn]?.[i], warn, i);
      if (tests === null) {
        scores.push(null);
        continue;
      }
      const code = extractCode(completion);
      if (code === null || code.trim() === "") {
        scores.push(0);
        continue;
      }
      let passed = 0;
      for (const test of tests) {
        if (signal?.aborted) throw new Error("aborted");
        if ((await sandbox.run(code, test)).passed) passed++;
      }
      const fraction = passed / tests.length;
      scores.push(options.mode === "binary" ? (fraction > options.binaryThreshold ? 1 : 0) : fraction);
    }
    return scores;
  } finally {
    signal?.removeEventListener("abort", abort);
    sandbox.close();
  }
}

export const codeReward = defineReward({
  name: "code",
  module: import.meta.url,
  description: "fraction of test cases the completion's JavaScript passes in a QuickJS sandbox (or 1/0 in binary mode)",
  options: codeOptions,
  score: (batch, { options, warn, signal }) => codeScores(batch, options, warn, signal),
});
