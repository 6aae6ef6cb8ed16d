/**
 * Where GRPO's rollouts come from. The trainer only asks an engine for G completions of each prompt;
 * the default engine generates them on the training model itself (same backend, KV cache), and another
 * engine (a faster inference backend, other processes or machines) can replace it: it receives the
 * policy's new weights through `syncWeights` after every optimizer step.
 *
 * Sampling is seeded per (step, prompt, sample): completion g of prompt p draws its tokens from the stream
 * `rolloutRowSeed(seed, p, g)`, so an engine that splits a request over many batches, processes or
 * machines returns the same completions as one batch on one machine (same backend).
 */
import type { Tokenizer } from "../data/tokenizer.ts";
import type { FinishReason, GenerationModel } from "../generate/generate.ts";
import { mix32 } from "../random/counter-hash.ts";

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
  /** The training step these rollouts are for (names the work of engines that hand it out). */
  step?: number;
  /**
   * Optimizer steps applied to the weights that must sample this request (default `step`). Equal to the
   * step in synchronous training; smaller by up to `maxStaleness` when rollouts run ahead of training.
   */
  policyVersion?: number;
}

export interface Rollouts {
  /** prompts.length x groupSize rows, grouped: rows g*G .. g*G + G - 1 answer prompt g. */
  completionIds: number[][];
  /** Decoded completions, without the EOS token. */
  texts: string[];
  finishReasons: FinishReason[];
  /**
   * When the engine reports them: the log-prob of each completion token under the distribution it was
   * sampled from (temperature, top-k / top-p applied: generate's logProbsMode "processed"). The trainer
   * compares them with its own to correct a rollout/trainer mismatch or stale rollouts (TIS).
   */
  logProbs?: number[][];
  /** The policy version that sampled these rollouts, when the engine knows it. */
  policyVersion?: number;
}

export interface RolloutEngine {
  readonly name: string;
  generate(request: RolloutRequest): Promise<Rollouts>;
  /** Called after each optimizer step with the policy's parameters by name (engines that hold their own copy). */
  syncWeights?(weights: () => Promise<Record<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>>): Promise<void>;
  dispose?(): void;
}

/** The sampling seed of completion `sample` of prompt `prompt` in a request seeded `seed`. */
export function rolloutRowSeed(seed: number, prompt: number, sample: number): number {
  return mix32((mix32((seed ^ 0x6a09e667) >>> 0) + Math.imul(prompt + 1, 0x9e3779b1) + Math.imul(sample + 1, 0x85ebca77)) >>> 0);
}

/** The row seeds of prompts [first, first + count) of a request, grouped like its rows. */
export function rolloutRowSeeds(seed: number, first: number, count: number, groupSize: number): number[] {
  const seeds: number[] = [];
  for (let p = first; p < first + count; p++) for (let g = 0; g < groupSize; g++) seeds.push(rolloutRowSeed(seed, p, g));
  return seeds;
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
