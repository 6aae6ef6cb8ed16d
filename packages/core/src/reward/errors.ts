/** Errors of the reward contract: each names the reward (and row, option or column) at fault. */
import { R1tsError } from "../errors.ts";

/** A reward that threw, returned the wrong number of scores, or returned something other than a number or null. */
export class RewardError extends R1tsError {
  /** The reward's name as used in the run (its alias when it has one). */
  readonly reward: string;
  constructor(reward: string, message: string, options?: { cause?: unknown }) {
    super(message);
    this.reward = reward;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** A reward that did not finish within its time limit. */
export class RewardTimeoutError extends RewardError {}

/** Reward options that fail the reward's schema, or a reward name that nothing registered. */
export class RewardConfigError extends R1tsError {}

/** A batch whose columns do not all have one entry per row. */
export class RewardBatchError extends R1tsError {}
