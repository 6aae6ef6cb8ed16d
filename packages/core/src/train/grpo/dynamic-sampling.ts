/**
 * DAPO's dynamic sampling (Yu et al. 2025, §3.2): a group whose rewards all agree has advantage 0 and
 * teaches nothing, so the step over-samples prompts, drops those groups and samples again until it has
 * `target` informative groups, for at most `maxRounds` rounds (verl's filter_groups with
 * max_num_gen_batches). Round r samples ceil((target - kept) x oversample) prompts. If the rounds run
 * out first, the batch is topped up with the last dropped groups (they carry no policy gradient), so
 * every step trains on `target` groups; the counts say what happened.
 */
import { R1tsError } from "../../errors.ts";

export interface DynamicSamplingOptions<G> {
  /** Informative groups wanted (promptsPerStep). */
  target: number;
  /** Sampling rounds at most (>= 1). */
  maxRounds: number;
  /** Prompts sampled per missing group (>= 1). */
  oversample: number;
  /** Samples `prompts` groups (round 0, 1, ...). */
  sampleRound: (prompts: number, round: number) => Promise<G[]>;
  /** Whether a group's rewards differ (std > 0). */
  informative: (group: G) => boolean;
}

export interface DynamicSamplingResult<G> {
  /** `target` groups: the informative ones first, then any top-up. */
  groups: G[];
  /** Groups sampled in all rounds. */
  generated: number;
  /** Zero-variance groups left out of the batch. */
  dropped: number;
  /** Informative groups beyond `target` (over-sampling), left out too. */
  surplus: number;
  /** Zero-variance groups used to top the batch up (rounds ran out). */
  filled: number;
  rounds: number;
}

export async function sampleInformativeGroups<G>(options: DynamicSamplingOptions<G>): Promise<DynamicSamplingResult<G>> {
  const { target, maxRounds, oversample, sampleRound, informative } = options;
  if (!Number.isSafeInteger(target) || target < 1) throw new R1tsError(`dynamic sampling: target must be an integer >= 1, got ${target}`);
  if (!Number.isSafeInteger(maxRounds) || maxRounds < 1) throw new R1tsError(`dynamic sampling: maxSamplingRounds must be an integer >= 1, got ${maxRounds}`);
  if (!(Number.isFinite(oversample) && oversample >= 1)) throw new R1tsError(`dynamic sampling: oversample must be a number >= 1, got ${oversample}`);
  const kept: G[] = [];
  const rejected: G[] = [];
  let generated = 0;
  let rounds = 0;
  while (kept.length < target && rounds < maxRounds) {
    const groups = await sampleRound(Math.ceil((target - kept.length) * oversample), rounds++);
    generated += groups.length;
    for (const g of groups) (informative(g) ? kept : rejected).push(g);
  }
  const groups = kept.slice(0, target);
  const filled = Math.max(0, target - groups.length);
  groups.push(...rejected.slice(rejected.length - filled));
  return { groups, generated, dropped: rejected.length - filled, surplus: kept.length - Math.min(kept.length, target), filled, rounds };
}
