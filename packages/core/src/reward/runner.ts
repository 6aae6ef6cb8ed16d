/**
 * The weighted reward runner (docs/grpo-algorithm.md): runs several rewards on one batch (concurrently; each may be
 * async), and combines them row by row: total = sum of weight * score over the rewards that apply
 * (null = not applicable, skipped). A row where no reward applies has total null; the GRPO trainer gives
 * it advantage 0.
 */
import { RewardConfigError } from "./errors.ts";
import { resolveRewardOptions } from "./reward.ts";
import type { Reward, RewardBatch, RewardValue } from "./reward.ts";
import { batchSize } from "./batch.ts";
import { runReward } from "./run-reward.ts";
import type { RewardErrorPolicy } from "./run-reward.ts";
import { type RewardWorkerPool, sharedRewardPool } from "./reward-pool.ts";
import type { RewardSource } from "./reward-source.ts";

/** One reward as a run uses it. */
export interface RewardUse {
  reward: Reward<any>;
  /** Default 1. */
  weight?: number;
  /** The name in scores and logs (default: the reward's name); lets one reward be used twice with other options. */
  as?: string;
  /** Overrides the reward's default options. */
  options?: Record<string, unknown>;
  timeoutMs?: number;
  onError?: RewardErrorPolicy;
  /** Where a worker loads the reward from (default: the reward's own `module`). Run contexts set it for plugins' rewards. */
  source?: RewardSource;
}

/**
 * Where rewards run: "auto" (default) in worker threads under a watchdog when the reward has a source
 * (a module or a plugin file), else on the main thread; "worker" requires a source for every reward;
 * "main" runs every reward on the main thread (a synchronous reward then cannot be stopped).
 */
export type RewardIsolation = "auto" | "worker" | "main";

export interface RewardRunnerOptions {
  /** Default time limit of every reward (ms); a use's own `timeoutMs` wins. Default 120000. */
  timeoutMs?: number;
  /** Default policy when a reward throws or times out: "fail" the run (default) or score "zero" with a warning. */
  onError?: RewardErrorPolicy;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
  isolation?: RewardIsolation;
  /** The worker pool (default: the process's shared pool). */
  pool?: RewardWorkerPool;
}

export interface RewardScores {
  /** The names of the rewards in use order. */
  readonly names: readonly string[];
  readonly weights: Readonly<Record<string, number>>;
  /** Scores of each reward by name, one per row. */
  readonly perReward: Readonly<Record<string, readonly RewardValue[]>>;
  /** The weighted total of each row; null where every reward returned null. */
  readonly total: readonly RewardValue[];
  /** Seconds each reward took on this batch. */
  readonly seconds: Readonly<Record<string, number>>;
  /** Warnings raised while scoring (rewards that failed under onError "zero", and their own warnings). */
  readonly warnings: readonly string[];
}

export interface RewardRunner {
  /** Each use, and whether it runs in a worker thread ("worker") or on the main thread ("main"). */
  readonly uses: readonly { name: string; weight: number; reward: Reward<any>; runsIn: "worker" | "main" }[];
  score(batch: RewardBatch): Promise<RewardScores>;
  /** Starts the worker threads and loads the rewards there now, in the background (optional; scoring does it on first use). */
  warm?(): void;
}

/** Validates every use now (weights, unique names, options), so a bad config fails before any work starts. */
export function createRewardRunner(uses: readonly RewardUse[], runnerOptions: RewardRunnerOptions = {}): RewardRunner {
  if (uses.length === 0) throw new RewardConfigError("reward runner: no rewards given; list at least one");
  const isolation = runnerOptions.isolation ?? "auto";
  const seen = new Set<string>();
  const resolved = uses.map((use, i) => {
    const name = use.as ?? use.reward?.name;
    if (typeof name !== "string") throw new RewardConfigError(`reward runner: use ${i} has no reward`);
    if (seen.has(name)) throw new RewardConfigError(`reward runner: reward "${name}" is used twice; give the second use another name with "as"`);
    seen.add(name);
    const weight = use.weight ?? 1;
    if (typeof weight !== "number" || !Number.isFinite(weight)) {
      throw new RewardConfigError(`reward "${name}": weight must be a finite number, got ${JSON.stringify(weight)}`);
    }
    const timeoutMs = use.timeoutMs ?? runnerOptions.timeoutMs;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new RewardConfigError(`reward "${name}": timeoutMs must be a positive number, got ${JSON.stringify(timeoutMs)}`);
    }
    const options = resolveRewardOptions(use.reward, use.options ?? {}, name);
    const source: RewardSource | undefined = isolation === "main" ? undefined : use.source ?? (use.reward.module !== undefined ? { kind: "module", url: use.reward.module } : undefined);
    if (isolation === "worker" && source === undefined) {
      throw new RewardConfigError(`reward "${name}" cannot run in a worker thread: it has no module (give defineReward module: import.meta.url, or register it from a plugin loaded by name or path), and isolation is "worker"`);
    }
    return { name, weight, reward: use.reward, options, timeoutMs, onError: use.onError ?? runnerOptions.onError, source };
  });
  const pool = resolved.some((u) => u.source !== undefined) ? runnerOptions.pool ?? sharedRewardPool() : undefined;
  const fellBack = new Set<string>();

  return {
    get uses() {
      return resolved.map(({ name, weight, reward, source }) => ({ name, weight, reward, runsIn: source !== undefined && !fellBack.has(name) ? "worker" as const : "main" as const }));
    },
    warm() {
      const pooled = resolved.flatMap((u) => (u.source !== undefined ? [{ source: u.source, name: u.reward.name }] : []));
      if (pool && pooled.length > 0) void pool.preload(pooled).catch(() => {});
    },
    async score(batch) {
      const n = batchSize(batch);
      const warnings: string[] = [];
      const warn = (m: string) => {
        warnings.push(m);
        (runnerOptions.warn ?? ((w: string) => console.warn(w)))(m);
      };
      const runs = await Promise.all(resolved.map((u) =>
        runReward(u.reward, batch, {
          options: u.options, name: u.name, timeoutMs: u.timeoutMs, onError: u.onError, warn,
          ...(u.source !== undefined && !fellBack.has(u.name) ? { pool, source: u.source } : {}),
          onFallback: (message) => {
            fellBack.add(u.name);
            warn(message);
          },
        })));
      const perReward: Record<string, readonly RewardValue[]> = {};
      const seconds: Record<string, number> = {};
      const weights: Record<string, number> = {};
      resolved.forEach((u, j) => {
        perReward[u.name] = runs[j].scores;
        seconds[u.name] = runs[j].seconds;
        weights[u.name] = u.weight;
      });
      const total = Array.from({ length: n }, (_, i) => weightedTotal(resolved.map((u, j) => [u.weight, runs[j].scores[i]] as const)));
      return { names: resolved.map((u) => u.name), weights, perReward, total, seconds, warnings };
    },
  };
}

/** Sum of weight * score over the scores that are not null; null when all are null. */
export function weightedTotal(terms: readonly (readonly [number, RewardValue])[]): RewardValue {
  let total: RewardValue = null;
  for (const [weight, score] of terms) if (score !== null) total = (total ?? 0) + weight * score;
  return total;
}
