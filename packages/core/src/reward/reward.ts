/**
 * The reward contract. A reward scores a whole batch of rollouts at once (prompts, completions, their
 * token ids, dataset columns such as the gold answer) and returns one number per row, or null where it
 * does not apply (docs/grpo-algorithm.md: null = "not applicable", skipped in the weighted total). It may be async.
 */
import { z } from "zod";
import { RewardConfigError } from "./errors.ts";
import { describeIssues } from "./describe-issues.ts";
import { previewValue } from "../util/preview.ts";

/** One score: a finite number, or null when the reward does not apply to that row. */
export type RewardValue = number | null;

/** What a reward scores: row i is (prompts[i], completions[i], completionIds?.[i], columns[c][i]). */
export interface RewardBatch {
  readonly prompts: readonly string[];
  readonly completions: readonly string[];
  /** Token ids of each completion; absent when only text is scored (e.g. `r1ts rewards score`). */
  readonly completionIds?: readonly (readonly number[])[];
  /** Dataset columns by name, one entry per row (e.g. `answer` for the gold answer). */
  readonly columns: Readonly<Record<string, readonly unknown[]>>;
}

/** What a reward's `score` receives besides the batch. */
export interface RewardContext<O> {
  /** The reward's options: its schema's output, defaults filled in. */
  readonly options: O;
  /** Aborted when the reward runs past its time limit; long async work should stop then. */
  readonly signal: AbortSignal;
  /** Reports something worth a user's attention without failing the run. */
  warn(message: string): void;
}

/** A zod schema for a reward's options; its output is what `score` gets as `context.options`. */
export type RewardOptionsSchema<O> = z.ZodType<O>;

export interface Reward<O = unknown> {
  readonly name: string;
  readonly description: string;
  /** The options schema (an empty object schema when the reward takes none). */
  readonly options: RewardOptionsSchema<O>;
  /** Option values applied before each use's own options (set by `configureReward` or a plugin's options). */
  readonly defaultOptions: Readonly<Record<string, unknown>>;
  score(batch: RewardBatch, context: RewardContext<O>): readonly RewardValue[] | Promise<readonly RewardValue[]>;
  /**
   * The URL of a module that exports this reward (`import.meta.url` where it is defined). With it the
   * reward runs in a worker thread under a watchdog; see docs/rewards.md, "Interruptible rewards".
   */
  readonly module?: string;
}

export interface RewardDefinition<S extends z.ZodType> {
  /** How configs and logs name the reward: letters, digits, `-`, `_`, `.`, `/`, `:`. */
  name: string;
  description?: string;
  options?: S;
  score(batch: RewardBatch, context: RewardContext<z.output<S>>): readonly RewardValue[] | Promise<readonly RewardValue[]>;
  /** `import.meta.url` of the module that exports this reward: lets it run in a worker thread (interruptible). */
  module?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
const noOptions = z.object({}).strict();

/** Makes a reward; checks its name. An identity function for types otherwise (like Vite's defineConfig). */
export function defineReward<S extends z.ZodType = typeof noOptions>(definition: RewardDefinition<S>): Reward<z.output<S>> {
  if (typeof definition?.name !== "string" || !NAME.test(definition.name)) {
    throw new RewardConfigError(`defineReward: name must be a non-empty string of letters, digits, "-", "_", ".", "/", ":" (got ${JSON.stringify(definition?.name)})`);
  }
  if (typeof definition.score !== "function") {
    throw new RewardConfigError(`defineReward("${definition.name}"): score must be a function (batch, context) => scores`);
  }
  const options = (definition.options ?? noOptions) as unknown as RewardOptionsSchema<z.output<S>>;
  return Object.freeze({
    name: definition.name,
    description: definition.description ?? "",
    options,
    defaultOptions: Object.freeze({}),
    score: definition.score,
    ...(definition.module !== undefined ? { module: definition.module } : {}),
  });
}

/** Parses `overrides` over the reward's default options; a failure names the reward and each bad field. */
export function resolveRewardOptions<O>(reward: Reward<O>, overrides: unknown = {}, usedAs = reward.name): O {
  if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
    throw new RewardConfigError(`reward "${usedAs}": options must be an object, got ${previewValue(overrides)}`);
  }
  const parsed = reward.options.safeParse({ ...reward.defaultOptions, ...overrides });
  if (!parsed.success) {
    throw new RewardConfigError(`reward "${usedAs}": invalid options\n${describeIssues(parsed.error, "options")}`);
  }
  return parsed.data;
}

/** The same reward with other default options (validated now); a use's own options still override them. */
export function configureReward<O>(reward: Reward<O>, defaults: Record<string, unknown>): Reward<O> {
  resolveRewardOptions(reward, defaults);
  return Object.freeze({ ...reward, defaultOptions: Object.freeze({ ...reward.defaultOptions, ...defaults }) });
}

/** True for objects shaped like a Reward (also ones made by another copy of @r1ts/core). */
export function isReward(value: unknown): value is Reward {
  const r = value as Reward | null;
  return typeof r === "object" && r !== null && typeof r.name === "string" && typeof r.score === "function" &&
    typeof r.options?.safeParse === "function";
}
