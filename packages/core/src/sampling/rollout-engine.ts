/**
 * Where GRPO's rollouts come from. The trainer only asks an engine for G completions of each prompt;
 * the default engine generates them on the training model itself (same backend, KV cache), and another
 * engine (a faster inference backend, other processes or machines) can replace it: it receives the
 * policy's new weights through `syncWeights` after every optimizer step.
 */
import type { Tokenizer } from "../data/tokenizer.ts";
import type { FinishReason, GenerationModel } from "../generate/generate.ts";

export interface RolloutRequest {
  /** Token ids of each distinct prompt. */
  prompts: readonly (readonly number[])[];
  /** Completions per prompt (G). */
  groupSize: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK?: number;
  eosTokenId: number;
  /** Seed of this batch's sampling (the trainer derives it from the run seed and the step). */
  seed: number;
  /** Also return the sampler's log-prob of each completion token (`Rollouts.logProbs`). */
  returnLogProbs?: boolean;
}

export interface Rollouts {
  /** prompts.length x groupSize rows, grouped: rows g*G .. g*G + G - 1 answer prompt g. */
  completionIds: number[][];
  /** Decoded completions, without the EOS token. */
  texts: string[];
  finishReasons: FinishReason[];
  /**
   * With `returnLogProbs`, when the engine can: log-prob of each completion token under the distribution
   * it was sampled from (temperature, top-k / top-p applied: generate's logProbsMode "processed"). The
   * trainer compares them with its own to correct a rollout/trainer mismatch (TIS).
   */
  logProbs?: number[][];
}

export interface RolloutEngine {
  readonly name: string;
  generate(request: RolloutRequest): Promise<Rollouts>;
  /** Called after each optimizer step with the policy's parameters by name (engines that hold their own copy). */
  syncWeights?(weights: () => Promise<Record<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>>): Promise<void>;
  dispose?(): void;
}

/** What a rollout engine is made from: the policy it samples (and the stage it serves). */
export interface RolloutEngineParts {
  model: GenerationModel;
  tokenizer: Pick<Tokenizer, "encode" | "decode">;
  eosTokenId: number;
  /** The stage's id, for engines that keep per-stage state (queues, weight stores). */
  stage: string;
}

/** Makes a run's rollout engines; a plugin replaces the default (generation on the policy) through the run's container. */
export interface RolloutEngineFactory {
  readonly name: string;
  create(parts: RolloutEngineParts): RolloutEngine | Promise<RolloutEngine>;
}
