/**
 * The one record of a held-out evaluation (docs/evaluation.md): generate samplesPerProblem completions for
 * each held-out problem, score them with the rewards, and report accuracy (pass@1 averaged over the
 * samples, as in the R1 paper) by the reward the settings name as `correctness`, mean@N and maj@N (a
 * majority vote over each problem's final answers; sample-metrics.ts), pass@k, the format rate
 * (the mean of the reward named `format`), every reward's mean, the mean completion length and what it
 * cost. The same record is written to evals.jsonl, shown in the pipeline's table, printed by `r1ts eval`,
 * and flattened into `eval/...` metrics for the onEval hook.
 */
import type { Tokenizer } from "../data/tokenizer.ts";
import type { GenerationModel } from "../generate/generate.ts";
import type { RewardRunner } from "../reward/runner.ts";
import type { Problem } from "../tasks/task.ts";
import type { EvalSettings } from "./eval-settings.ts";
import type { ModelEvaluator } from "./evaluator.ts";
import { evaluateProblems } from "./evaluate.ts";
import { type SampleOutcome, sampleMetrics } from "./sample-metrics.ts";

export interface EvalReport {
  problems: number;
  samplesPerProblem: number;
  temperature: number;
  /** The reward whose score >= 1 counts as correct (null when the settings name none). */
  correctness: string | null;
  /** Mean correctness over every sample (pass@1); null without a correctness reward. */
  accuracy: number | null;
  /** mean@N (= accuracy) and maj@N (majority vote over each problem's final answers), N = samplesPerProblem. */
  meanAtN: number | null;
  majAtN: number | null;
  /** pass@k by k ("1", "4", ...). */
  passAtK: Record<string, number>;
  /** Mean of the reward named as `format` (null when none is named). */
  format: number | null;
  /** Mean of every reward over the completions it applies to. */
  rewards: Record<string, number | null>;
  meanLength: number;
  truncatedRate: number;
  generatedTokens: number;
  seconds: number;
  /** A few completions, for reading. */
  samples: { question: string; answer: string; completion: string; correct: boolean | null }[];
}

/** What evaluation needs of a model bundle. */
export interface EvaluationModel {
  model: GenerationModel & { config: { maxSeqLen: number } };
  tokenizer: Pick<Tokenizer, "encode" | "decode">;
  eosTokenId: number;
}

export type ResolvedEvalSettings = Omit<EvalSettings, "seed"> & { seed: number };

export async function evaluateBundle(bundle: EvaluationModel, heldOut: readonly Problem[], rewards: RewardRunner, settings: ResolvedEvalSettings): Promise<EvalReport> {
  const started = performance.now();
  const longestPrompt = Math.max(1, ...heldOut.map((p) => bundle.tokenizer.encode(p.prompt).length));
  const maxNewTokens = Math.max(1, Math.min(settings.maxNewTokens ?? Number.POSITIVE_INFINITY, bundle.model.config.maxSeqLen - longestPrompt));
  const result = await evaluateProblems(bundle.model, bundle.tokenizer, bundle.eosTokenId, heldOut, rewards, {
    maxNewTokens, temperature: settings.temperature, topP: settings.topP, samplesPerProblem: settings.samplesPerProblem, seed: settings.seed,
  });
  const names = rewards.uses.map((u) => u.name);
  const correctness = settings.correctness ?? null;
  const correct = result.rows.map((r) => {
    const v = correctness === null ? null : r.scores[correctness];
    return v === null || v === undefined || Number.isNaN(v) ? null : v >= 1;
  });
  // Rows come problem by problem, samplesPerProblem each.
  const k = settings.samplesPerProblem;
  const problems: SampleOutcome[][] = [];
  for (let i = 0; i < correct.length; i += k) problems.push(result.rows.slice(i, i + k).map((r, j) => ({ answer: r.finalAnswer, correct: correct[i + j] })));
  const metrics = sampleMetrics(problems, [1, ...settings.passK]);
  const passAt = metrics.passAtK;
  const known = metrics.problems > 0;
  const finite = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  const rewardMeans = Object.fromEntries(names.map((n) => [n, finite(result.rewardMeans[n])]));
  return {
    problems: heldOut.length,
    samplesPerProblem: k,
    temperature: settings.temperature,
    correctness,
    accuracy: known ? passAt["1"] : null,
    meanAtN: known ? metrics.meanAtN : null,
    majAtN: known ? metrics.majAtN : null,
    passAtK: passAt,
    format: settings.format !== undefined && names.includes(settings.format) ? rewardMeans[settings.format] : null,
    rewards: rewardMeans,
    meanLength: result.meanCompletionTokens,
    truncatedRate: result.truncatedRate,
    generatedTokens: result.rows.reduce((a, r) => a + r.tokens, 0),
    seconds: (performance.now() - started) / 1000,
    samples: result.rows.slice(0, 6).map((r, i) => ({ question: r.question, answer: r.answer, completion: r.completion, correct: correct[i] })),
  };
}

/** A report as `eval/...` metrics (what onEval carries): accuracy, format, pass@k, length, every reward. */
export function evalMetrics(report: EvalReport): Record<string, number> {
  const m: Record<string, number> = { "eval/meanLength": report.meanLength, "eval/truncatedRate": report.truncatedRate };
  if (report.accuracy !== null) m["eval/accuracy"] = report.accuracy;
  if (report.meanAtN !== null) m[`eval/mean@${report.samplesPerProblem}`] = report.meanAtN;
  if (report.majAtN !== null) m[`eval/maj@${report.samplesPerProblem}`] = report.majAtN;
  if (report.format !== null) m["eval/format"] = report.format;
  for (const [k, v] of Object.entries(report.passAtK)) if (k !== "1") m[`eval/pass@${k}`] = v;
  for (const [name, v] of Object.entries(report.rewards)) if (v !== null) m[`eval/rewards/${name}`] = v;
  return m;
}

/** "accuracy 55.5%, pass@4 70.0%, format 98.0%, mean length 31.2 tokens". */
export function describeEval(report: EvalReport): string {
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : `${(v * 100).toFixed(1)}%`);
  const passK = Object.entries(report.passAtK).filter(([k]) => k !== "1").map(([k, v]) => `pass@${k} ${pct(v)}`);
  const maj = report.samplesPerProblem > 1 ? [`maj@${report.samplesPerProblem} ${pct(report.majAtN)}`] : [];
  return [`accuracy ${pct(report.accuracy)}`, ...maj, ...passK, `format ${pct(report.format)}`, `mean length ${report.meanLength.toFixed(1)} tokens`].join(", ");
}

/** The default ModelEvaluator of a run's container. */
export const heldOutEvaluator: ModelEvaluator = Object.freeze({ name: "held-out", evaluate: evaluateBundle });
