/**
 * A step's rollouts as groups: each group is one prompt and its G completions with their rewards,
 * laid out group after group (rows g*G .. g*G + G - 1). Dynamic sampling keeps some groups of several
 * sampling rounds, so groups are selected and concatenated here, every per-row field with them.
 */
import type { FinishReason } from "../../generate/generate.ts";
import type { RewardBatch } from "../../reward/reward.ts";
import type { RewardScores } from "../../reward/runner.ts";
import type { WeightedScores } from "./advantages.ts";
import { type RewardAggregation, aggregateRewards } from "./reward-aggregation.ts";

/** A prompt to roll out, with the dataset columns its rewards read (a task's Problem fits). */
export interface GrpoPrompt {
  readonly prompt: string;
  readonly columns: Readonly<Record<string, unknown>>;
  readonly question?: string;
}

export interface RolloutGroups {
  readonly groupSize: number;
  /** One per group. */
  readonly prompts: readonly GrpoPrompt[];
  readonly promptIds: readonly (readonly number[])[];
  /** One per row. */
  readonly completionIds: readonly (readonly number[])[];
  readonly finishReasons: readonly FinishReason[];
  /** The sampler's log-prob of each completion token, when the engine returned them. */
  readonly samplerLogProbs?: readonly (readonly number[])[];
  readonly batch: RewardBatch;
  readonly scores: RewardScores;
}

/** The groups at `indices` (in that order). */
export function selectGroups(r: RolloutGroups, indices: readonly number[]): RolloutGroups {
  const g = r.groupSize;
  const rows = indices.flatMap((i) => Array.from({ length: g }, (_, j) => i * g + j));
  const pick = <T>(xs: readonly T[]): T[] => rows.map((i) => xs[i]);
  return {
    groupSize: g,
    prompts: indices.map((i) => r.prompts[i]),
    promptIds: indices.map((i) => r.promptIds[i]),
    completionIds: pick(r.completionIds),
    finishReasons: pick(r.finishReasons),
    samplerLogProbs: r.samplerLogProbs ? pick(r.samplerLogProbs) : undefined,
    batch: {
      prompts: pick(r.batch.prompts),
      completions: pick(r.batch.completions),
      completionIds: r.batch.completionIds ? pick(r.batch.completionIds) : undefined,
      columns: Object.fromEntries(Object.entries(r.batch.columns).map(([k, v]) => [k, pick(v)])),
    },
    scores: {
      ...r.scores,
      perReward: Object.fromEntries(Object.entries(r.scores.perReward).map(([k, v]) => [k, pick(v)])),
      total: pick(r.scores.total),
    },
  };
}

/** Several rounds' groups as one batch (rewards' seconds and warnings added up). */
export function concatGroups(parts: readonly RolloutGroups[]): RolloutGroups {
  if (parts.length === 1) return parts[0];
  const flat = <T>(f: (r: RolloutGroups) => readonly T[]): T[] => parts.flatMap((p) => [...f(p)]);
  const first = parts[0];
  const keys = <T>(f: (r: RolloutGroups) => Readonly<Record<string, readonly T[]>>) =>
    Object.fromEntries([...new Set(parts.flatMap((p) => Object.keys(f(p))))].map((k) => [k, parts.flatMap((p) => [...(f(p)[k] ?? new Array(p.completionIds.length).fill(undefined))])]));
  const seconds: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.scores.seconds)) seconds[k] = (seconds[k] ?? 0) + v;
  return {
    groupSize: first.groupSize,
    prompts: flat((p) => p.prompts),
    promptIds: flat((p) => p.promptIds),
    completionIds: flat((p) => p.completionIds),
    finishReasons: flat((p) => p.finishReasons),
    samplerLogProbs: parts.every((p) => p.samplerLogProbs) ? flat((p) => p.samplerLogProbs!) : undefined,
    batch: {
      prompts: flat((p) => p.batch.prompts),
      completions: flat((p) => p.batch.completions),
      completionIds: parts.every((p) => p.batch.completionIds) ? flat((p) => p.batch.completionIds!) : undefined,
      columns: keys((p) => p.batch.columns),
    },
    scores: { ...first.scores, perReward: keys((p) => p.scores.perReward), total: flat((p) => p.scores.total), seconds, warnings: flat((p) => p.scores.warnings) },
  };
}

/** The reward scores as the weighted lists the aggregation reads. */
export function weightedScores(scores: RewardScores): WeightedScores[] {
  return scores.names.map((name) => ({ name, weight: scores.weights[name], values: scores.perReward[name] }));
}

/** One reward per row, aggregated as configured (the weighted sum, or each reward normalised per group first). */
export function aggregatedRewards(r: RolloutGroups, aggregation: RewardAggregation): (number | null)[] {
  return aggregateRewards(weightedScores(r.scores), r.completionIds.length, r.groupSize, aggregation);
}

/** Whether each group's aggregated rewards differ (a group whose rewards all agree has advantage 0 and teaches nothing). */
export function informativeGroups(r: RolloutGroups, aggregation: RewardAggregation): boolean[] {
  const rewards = aggregatedRewards(r, aggregation);
  return r.prompts.map((_, g) => {
    const values = rewards.slice(g * r.groupSize, (g + 1) * r.groupSize).filter((v): v is number => v !== null && !Number.isNaN(v));
    return values.some((v) => v !== values[0]);
  });
}
