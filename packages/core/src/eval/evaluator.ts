/**
 * An evaluation a trainer runs every `evalEvery` steps (held-out accuracy of the current policy, SFT's
 * held-out loss, ...). Its metrics are named `eval/...`; the trainer fires them through `onEval`.
 */
export interface Evaluator {
  readonly name: string;
  /** Evaluates the model as it is after `step` optimizer steps. */
  evaluate(step: number): Promise<Record<string, number>>;
}
