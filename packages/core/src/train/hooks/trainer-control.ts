/** Lets hook taps ask the trainer to stop (early stopping) without special cases in the trainer. */
export interface TrainerControl {
  /** Asks the trainer to stop after the current step; the first reason given is kept. */
  requestStop(reason: string): void;
  readonly stopRequested: boolean;
  readonly stopReason: string | undefined;
}

export function createTrainerControl(): TrainerControl {
  let reason: string | undefined;
  return {
    requestStop(why: string) {
      reason ??= why;
    },
    get stopRequested() {
      return reason !== undefined;
    },
    get stopReason() {
      return reason;
    },
  };
}
