/**
 * Held-out evaluation of a model bundle: generate samplesPerProblem completions for each held-out problem,
 * score them with the rewards, and report accuracy (pass@1 averaged over the samples, as in the R1 paper),
 * mean@N, maj@N (majority vote), pass@k, the format rate, the mean completion length and what it cost (tokens, seconds).
 */
import type { RewardRunner } from "../../reward/runner.ts";
import type { ModelBundle } from "../../run/model-bundle.ts";
import type { Problem } from "../../tasks/task.ts";
import { evaluateProblems } from "../../train/evaluate.ts";
import type { EvalSettings } from "../pipeline-config-schema.ts";
import { type SampleOutcome, sampleMetrics } from "./sample-metrics.ts";

export interface EvalReport {
  problems: number;
  samplesPerProblem: number;
  temperature: number;
  /** The reward whose score >= 1 counts as correct (null when the rewards have none of accuracy / countdown / the one named). */
  correctReward: string | null;
  /** Mean correctness over every sample (pass@1). */
  accuracy: number | null;
  /** mean@N (= accuracy) and maj@N (majority vote over each problem's final answers) with N = samplesPerProblem. */
  meanAtN: number | null;
  majAtN: number | null;
  /** pass@k by k ("1", "4", ...). */
  passAtK: Record<string, number>;
  /** Share of completions in the R1 format (the `format` reward's mean), when that reward is used. */
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

export async function evaluateBundle(bundle: ModelBundle, heldOut: readonly Problem[], rewards: RewardRunner, settings: EvalSettings): Promise<EvalReport> {
  const started = performance.now();
  const longestPrompt = Math.max(1, ...heldOut.map((p) => bundle.tokenizer.encode(p.prompt).length));
  const maxNewTokens = Math.max(1, Math.min(settings.maxNewTokens ?? Number.POSITIVE_INFINITY, bundle.model.config.maxSeqLen - longestPrompt));
  const result = await evaluateProblems(bundle.model, bundle.tokenizer, bundle.eosTokenId, heldOut, rewards, {
    maxNewTokens, temperature: settings.temperature, topP: settings.topP, samplesPerProblem: settings.samplesPerProblem, seed: settings.seed,
  });
  const names = rewards.uses.map((u) => u.name);
  const correctReward = settings.correctReward ?? (names.includes("accuracy") ? "accuracy" : names.includes("countdown") ? "countdown" : null);
  const correct = result.rows.map((r) => {
    const v = correctReward === null ? null : r.scores[correctReward];
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
    correctReward,
    accuracy: known ? passAt["1"] : null,
    meanAtN: known ? metrics.meanAtN : null,
    majAtN: known ? metrics.majAtN : null,
    passAtK: passAt,
    format: names.includes("format") ? rewardMeans.format : null,
    rewards: rewardMeans,
    meanLength: result.meanCompletionTokens,
    truncatedRate: result.truncatedRate,
    generatedTokens: result.rows.reduce((a, r) => a + r.tokens, 0),
    seconds: (performance.now() - started) / 1000,
    samples: result.rows.slice(0, 6).map((r, i) => ({ question: r.question, answer: r.answer, completion: r.completion, correct: correct[i] })),
  };
}
