/**
 * Runs one reward on a batch with a time limit and checks what it returns. A reward that throws, times out
 * or returns malformed scores fails with a RewardError naming it, or, with `onError: "zero"`, scores 0 on
 * every row of that batch with a warning.
 */
import { RewardError, RewardTimeoutError } from "./errors.ts";
import type { Reward, RewardBatch, RewardValue } from "./reward.ts";
import { batchSize } from "./batch.ts";

export type RewardErrorPolicy = "fail" | "zero";

export interface RunRewardOptions<O> {
  options: O;
  /** The name in messages (the use's alias). */
  name?: string;
  /** Milliseconds; a reward still running then is aborted. Default 120000. */
  timeoutMs?: number;
  onError?: RewardErrorPolicy;
  warn?: (message: string) => void;
}

export interface RewardRun {
  scores: RewardValue[];
  /** Why the scores are zeros (onError "zero"), else undefined. */
  failure?: string;
  seconds: number;
}

export const DEFAULT_REWARD_TIMEOUT_MS = 120_000;

export async function runReward<O>(reward: Reward<O>, batch: RewardBatch, run: RunRewardOptions<O>): Promise<RewardRun> {
  const name = run.name ?? reward.name;
  const timeoutMs = run.timeoutMs ?? DEFAULT_REWARD_TIMEOUT_MS;
  const warn = run.warn ?? ((m: string) => console.warn(m));
  const n = batchSize(batch);
  const start = performance.now();
  try {
    const raw = await withTimeout(name, n, timeoutMs, (signal) =>
      reward.score(batch, { options: run.options, signal, warn: (m) => warn(`reward "${name}": ${m}`) }));
    const seconds = (performance.now() - start) / 1000;
    // A synchronous reward cannot be interrupted; one that overran still counts as timed out.
    if (seconds * 1000 > timeoutMs) throw timeoutError(name, n, timeoutMs);
    return { scores: checkScores(name, raw, n), seconds };
  } catch (error) {
    const wrapped = error instanceof RewardError ? error
      : new RewardError(name, `reward "${name}" failed on a batch of ${n} rows: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    if ((run.onError ?? "fail") === "fail") throw wrapped;
    warn(`${wrapped.message} (scoring 0 for this batch because onError is "zero")`);
    return { scores: new Array<RewardValue>(n).fill(0), failure: wrapped.message, seconds: (performance.now() - start) / 1000 };
  }
}

function timeoutError(name: string, rows: number, ms: number): RewardTimeoutError {
  return new RewardTimeoutError(name, `reward "${name}" did not finish within ${ms} ms on a batch of ${rows} rows (raise timeoutMs, or set onError: "zero" to score 0 instead)`);
}

async function withTimeout<T>(name: string, rows: number, ms: number, work: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(timeoutError(name, rows, ms));
    }, ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => work(controller.signal)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One finite number or null per row; NaN counts as null (docs/grpo-algorithm.md: NaN/null = not applicable). */
function checkScores(name: string, raw: unknown, n: number): RewardValue[] {
  if (!Array.isArray(raw)) throw new RewardError(name, `reward "${name}" must return an array of ${n} numbers or nulls, got ${describe(raw)}`);
  if (raw.length !== n) throw new RewardError(name, `reward "${name}" returned ${raw.length} scores for a batch of ${n} rows`);
  return raw.map((v: unknown, row) => {
    if (v === null || (typeof v === "number" && Number.isNaN(v))) return null;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RewardError(name, `reward "${name}" returned ${describe(v)} for row ${row}; a score must be a finite number or null`);
    }
    return v;
  });
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number") return String(v);
  try {
    return JSON.stringify(v)?.slice(0, 80) ?? String(v);
  } catch {
    return String(v);
  }
}
