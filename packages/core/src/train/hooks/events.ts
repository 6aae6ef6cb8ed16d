/**
 * What each trainer hook receives. Every event carries the step, the trainer's kind and its control
 * (for early stopping). Trainers fill these; taps read them (and may add checkpoint metadata).
 */
import type { RewardBatch } from "../../reward/reward.ts";
import type { RewardScores } from "../../reward/runner.ts";
import type { TrainerControl } from "./trainer-control.ts";

export interface TrainerEvent {
  /** The optimizer step about to run or just run (0-based). */
  readonly step: number;
  /** "grpo", "sft", ... */
  readonly trainer: string;
  /** The pipeline stage running this trainer, when there is one. */
  readonly stage?: string;
  readonly control: TrainerControl;
}

export type StepStartEvent = TrainerEvent;

export interface RolloutEvent extends TrainerEvent {
  /** The rollouts: each prompt repeated groupSize times, with its completions and dataset columns. */
  readonly batch: RewardBatch;
  readonly groupSize: number;
  /** Completions that hit the length limit without an end-of-sequence token. */
  readonly truncated?: readonly boolean[];
}

export interface RewardsEvent extends TrainerEvent {
  readonly batch: RewardBatch;
  readonly scores: RewardScores;
}

export interface StepEndEvent extends TrainerEvent {
  /** The step's metrics (docs/grpo-algorithm.md lists them for GRPO). */
  readonly metrics: Readonly<Record<string, number>>;
}

export interface CheckpointEvent extends TrainerEvent {
  /** The directory the checkpoint is about to be written to. */
  readonly dir: string;
  /** Saved with the checkpoint; taps may add entries. */
  readonly metadata: Record<string, unknown>;
}

export interface LogEvent extends TrainerEvent {
  readonly metrics: Readonly<Record<string, number>>;
  /** A few sample completions, when the trainer logs them this step. */
  readonly samples?: readonly { prompt: string; completion: string; reward?: number | null }[];
}

export interface EvalEvent extends TrainerEvent {
  /** Held-out metrics, e.g. `eval/accuracy`. */
  readonly metrics: Readonly<Record<string, number>>;
}
