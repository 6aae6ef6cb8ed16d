/** Typed errors of the queue engine, the workers and the weight stores: what failed, where, what to do. */
import { R1tsError } from "@r1ts/core";

/** Redis could not be reached (or stayed unreachable past the configured bound). */
export class QueueUnavailableError extends R1tsError {}

/** A rollout or scoring job failed on the workers, or its result never came within the time limit. */
export class QueueJobError extends R1tsError {}

/** A bad queue option (URL, queue name, job size, time limits). */
export class QueueConfigError extends R1tsError {}

/** A weight store that cannot be opened, written or read, or that lacks the policy version asked for. */
export class WeightStoreError extends R1tsError {}
