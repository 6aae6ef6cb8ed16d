/**
 * Runs one reward on a batch with a time limit and checks what it returns. A reward that throws, times out
 * or returns malformed scores fails with a RewardError naming it, or, with `onError: "zero"`, scores 0 on
 * every row of that batch with a warning. Given a pool and the reward's source, it runs in a worker
 * thread, where the time limit stops it whatever it does; otherwise it runs here, where only an async
 * reward that honours its signal can be stopped.
 */
import { RewardError, RewardTimeoutError } from "./errors.ts";
import type { Reward, RewardBatch, RewardValue } from "./reward.ts";
import { batchSize } from "./batch.ts";
import type { RewardWorkerPool } from "./reward-pool.ts";
import type { RewardSource } from "./reward-source.ts";
import { previewValue } from "../util/preview.ts";

export type RewardErrorPolicy = "fail" | "zero";

export interface RunRewardOptions<O> {
  options: O;
  /** The name in messages (the use's alias). */
  name?: string;
  /** Milliseconds; a reward still running then is aborted. Default 120000. */
  timeoutMs?: number;
  onError?: RewardErrorPolicy;
  warn?: (message: string) => void;
  /** Run in this pool's workers (needs `source`). */
  pool?: RewardWorkerPool;
  /** Where a worker loads the reward from. */
  source?: RewardSource;
  /** Called once when a worker cannot rebuild the reward and it runs on the main thread instead. */
  onFallback?: (message: string) => void;
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
    const pooled = run.pool !== undefined && run.source !== undefined
      ? await runPooled(run.pool, run.source, reward, batch, run.options, name, n, timeoutMs, (m) => warn(`reward "${name}": ${m}`))
      : undefined;
    if (pooled?.fallback !== undefined) run.onFallback?.(pooled.fallback);
    const raw = pooled !== undefined && pooled.fallback === undefined ? pooled.scores : await withTimeout(name, n, timeoutMs, (signal) =>
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

function timeoutError(name: string, rows: number, ms: number, stopped = false): RewardTimeoutError {
  return new RewardTimeoutError(name, `reward "${name}" did not finish within ${ms} ms on a batch of ${rows} rows${stopped ? " and was stopped (its worker thread was terminated)" : ""} (raise timeoutMs, or set onError: "zero" to score 0 instead)`);
}

/** Scores in a pool worker; `fallback` says why it must run here instead (the worker could not load it). */
async function runPooled<O>(pool: RewardWorkerPool, source: RewardSource, reward: Reward<O>, batch: RewardBatch, options: O, name: string, n: number, timeoutMs: number, warn: (m: string) => void): Promise<{ scores?: unknown; fallback?: string }> {
  const result = await pool.run({ source, name: reward.name, batch: plainBatch(batch), options, timeoutMs, warn });
  switch (result.kind) {
    case "scores": return { scores: result.scores };
    case "timeout": throw timeoutError(name, n, timeoutMs, true);
    case "threw": throw new RewardError(name, `reward "${name}" failed on a batch of ${n} rows: ${result.message}`);
    case "died": throw new RewardError(name, `reward "${name}" failed on a batch of ${n} rows: ${result.message}`);
    case "load-failed": return { fallback: `reward "${name}" cannot run in a worker thread (${result.message}); it runs on the main thread, where a synchronous loop cannot be stopped` };
  }
}

/** The batch as plain arrays (a batch may hold frozen or typed views that workers receive as copies anyway). */
function plainBatch(batch: RewardBatch): RewardBatch {
  return {
    prompts: [...batch.prompts],
    completions: [...batch.completions],
    ...(batch.completionIds !== undefined ? { completionIds: batch.completionIds.map((ids) => [...ids]) } : {}),
    columns: Object.fromEntries(Object.entries(batch.columns).map(([k, v]) => [k, [...v]])),
  };
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
  return previewValue(v, 80);
}
