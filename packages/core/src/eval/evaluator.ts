/**
 * Evaluation seams. An `Evaluator` is what a trainer runs every `evalEvery` steps (held-out accuracy of the
 * current policy, SFT's held-out loss, ...); its metrics are named `eval/...` and the trainer fires them
 * through `onEval`. A `ModelEvaluator` is how a run evaluates a model on held-out problems (before, during
 * and after training): the default is `evaluateBundle`, and a plugin can replace it through the run's
 * container (e.g. to evaluate on another engine).
 */
import type { RewardRunner } from "../reward/runner.ts";
import type { Problem } from "../tasks/task.ts";
import type { EvalReport, EvaluationModel, ResolvedEvalSettings } from "./eval-report.ts";

export interface Evaluator {
  readonly name: string;
  /** Evaluates the model as it is after `step` optimizer steps. */
  evaluate(step: number): Promise<Record<string, number>>;
}

export interface ModelEvaluator {
  readonly name: string;
  evaluate(bundle: EvaluationModel, heldOut: readonly Problem[], rewards: RewardRunner, settings: ResolvedEvalSettings): Promise<EvalReport>;
}
