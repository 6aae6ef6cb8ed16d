/**
 * Which policy version samples each step's rollouts, and when they are asked for. With
 * `maxStaleness` k = 0 (synchronous), step t's rollouts are generated at step t by policy version t.
 * With k > 0 (asynchronous, as in prime-rl and SkyRL), at the start of step t the rollouts of steps
 * t..t+k are in flight: step t+k's are handed out then, to policy version t, and generate while steps
 * t..t+k-1 train. So step s is sampled by version max(0, s - k) (or by the version a run resumed at),
 * at most k optimizer steps behind the policy that trains on it; the trainer corrects the gap by
 * truncated importance sampling with the sampler's log-probs.
 *
 * Steps are planned in order, so the prompts of every step are the ones a synchronous run draws. An
 * engine that generates elsewhere (`concurrent`) overlaps generation with training; one that generates
 * on the training model itself is run to completion when a step is handed out, before training goes on
 * (the same rollouts, without the overlap). Before a checkpoint, `drain` waits for the steps in flight
 * and returns them to be saved; `restore` puts them back, so a resumed run continues exactly.
 */
import { R1tsError } from "../errors.ts";
import type { RolloutEngine, RolloutRequest, Rollouts } from "./rollout-engine.ts";

/** An engine that can hand work out now and deliver it later (the queue engine). */
export interface SubmittingRolloutEngine extends RolloutEngine {
  /** True when generation runs outside the training process, so training may go on meanwhile. */
  readonly concurrent: boolean;
  submit(request: RolloutRequest): Promise<{ result(): Promise<Rollouts> }>;
}

/** The rollouts of one step, with what they were asked for (what a checkpoint keeps of steps in flight). */
export interface ScheduledRollouts<P> {
  step: number;
  policyVersion: number;
  /** What `plan` returned for the step besides the request (e.g. the drawn prompts and their columns). */
  plan: P;
  request: RolloutRequest;
  rollouts: Rollouts;
}

/** A step's work: the request (without the version, which the schedule sets) and anything to keep with it. */
export interface PlannedStep<P> {
  plan: P;
  request: Omit<RolloutRequest, "policyVersion">;
}

export class RolloutScheduleError extends R1tsError {}

interface InFlight<P> {
  step: number;
  policyVersion: number;
  plan: P;
  request: RolloutRequest;
  rollouts: Promise<Rollouts>;
}

export class RolloutSchedule<P> {
  private readonly inFlight = new Map<number, InFlight<P>>();
  private planned = -1;

  constructor(
    private readonly engine: RolloutEngine,
    readonly maxStaleness: number,
    /** Plans step s (draws its prompts); called once per step, in step order. */
    private readonly planStep: (step: number) => PlannedStep<P>,
    /** The run's last step: nothing past it is handed out. */
    private readonly lastStep = Infinity,
  ) {
    if (!(Number.isSafeInteger(maxStaleness) && maxStaleness >= 0)) throw new RolloutScheduleError(`rollout.maxStaleness must be an integer >= 0, got ${JSON.stringify(maxStaleness)}`);
  }

  /** True when generation overlaps training (an engine that generates elsewhere, and k > 0). */
  get overlapping(): boolean {
    return this.maxStaleness > 0 && isSubmitting(this.engine) && this.engine.concurrent;
  }

  /**
   * Step `step`'s rollouts. Call at the start of each step, with the policy at `policyVersion` (the
   * optimizer steps it has had): hands out steps up to step + maxStaleness, then waits for this one.
   */
  async next(step: number, policyVersion = step): Promise<ScheduledRollouts<P>> {
    if (this.planned < step - 1) this.planned = step - 1;
    while (this.planned < Math.min(step + this.maxStaleness, Math.max(step, this.lastStep))) {
      const s = ++this.planned;
      await this.handOut(s, policyVersion);
    }
    const entry = this.inFlight.get(step);
    if (!entry) throw new RolloutScheduleError(`no rollouts were asked for step ${step} (steps in flight: ${[...this.inFlight.keys()].join(", ") || "none"})`);
    this.inFlight.delete(step);
    const rollouts = await entry.rollouts;
    return { step, policyVersion: entry.policyVersion, plan: entry.plan, request: entry.request, rollouts };
  }

  /** Waits for every step in flight and returns them (to save with a checkpoint), in step order. */
  async drain(): Promise<ScheduledRollouts<P>[]> {
    const entries = [...this.inFlight.values()].sort((a, b) => a.step - b.step);
    return Promise.all(entries.map(async (e) => ({ step: e.step, policyVersion: e.policyVersion, plan: e.plan, request: e.request, rollouts: await e.rollouts })));
  }

  /** Puts back steps a checkpoint saved (from `drain`): they are not planned or generated again. */
  restore(saved: readonly ScheduledRollouts<P>[]): void {
    for (const s of saved) {
      const rollouts = Promise.resolve(s.rollouts);
      this.inFlight.set(s.step, { step: s.step, policyVersion: s.policyVersion, plan: s.plan, request: s.request, rollouts });
      this.planned = Math.max(this.planned, s.step);
    }
  }

  /** Steps handed out and not yet taken. */
  pendingSteps(): number[] {
    return [...this.inFlight.keys()].sort((a, b) => a - b);
  }

  private async handOut(step: number, policyVersion: number): Promise<void> {
    const { plan, request: partial } = this.planStep(step);
    const request: RolloutRequest = { ...partial, step, policyVersion };
    let rollouts: Promise<Rollouts>;
    if (this.overlapping) {
      // Hand out now (the weights of `policyVersion` are read before this resolves); collect later.
      const pending = await (this.engine as SubmittingRolloutEngine).submit(request);
      rollouts = pending.result();
      rollouts.catch(() => {}); // reported when the step takes it
    } else {
      rollouts = Promise.resolve(await this.engine.generate(request));
    }
    this.inFlight.set(step, { step, policyVersion, plan, request, rollouts });
  }
}

function isSubmitting(engine: RolloutEngine): engine is SubmittingRolloutEngine {
  return typeof (engine as Partial<SubmittingRolloutEngine>).submit === "function" && (engine as Partial<SubmittingRolloutEngine>).concurrent === true;
}
