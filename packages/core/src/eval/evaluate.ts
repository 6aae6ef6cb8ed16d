/**
 * Held-out generation and scoring (the rows an EvalReport is made of): generate completions for problems, score them with the run's rewards, and
 * report each reward's mean (e.g. accuracy = the fraction answered correctly, format = the fraction in
 * the R1 format), the mean completion length and the truncation rate. Sampling is seeded, so the same
 * seed gives the same numbers on the same backend.
 */
import type { Tokenizer } from "../data/tokenizer.ts";
import { generate } from "../generate/generate.ts";
import type { GenerationModel } from "../generate/generate.ts";
import type { RewardRunner } from "../reward/runner.ts";
import { extractFinalAnswer } from "../tasks/final-answer.ts";
import type { Problem } from "../tasks/task.ts";

export interface EvaluateOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature?: number;
  topP?: number;
  /** Completions per problem; the means average over all of them (pass@1 estimated from k samples, as in the R1 paper). */
  samplesPerProblem?: number;
  seed?: number;
  /** Rows generated at once. */
  batchSize?: number;
}

export interface EvaluatedRow {
  question: string;
  answer: string;
  completion: string;
  /** The completion's final answer (last \boxed{}, else the last <answer> block), null if none. */
  finalAnswer: string | null;
  tokens: number;
  truncated: boolean;
  scores: Record<string, number | null>;
}

export interface EvaluationResult {
  /** Mean of each reward over the rows it applies to (NaN if none). */
  rewardMeans: Record<string, number>;
  meanCompletionTokens: number;
  truncatedRate: number;
  rows: EvaluatedRow[];
}

export async function evaluateProblems(
  model: GenerationModel,
  tokenizer: Pick<Tokenizer, "encode" | "decode">,
  eosTokenId: number,
  problems: readonly Problem[],
  rewards: RewardRunner,
  options: EvaluateOptions,
): Promise<EvaluationResult> {
  const { maxNewTokens, temperature = 0, topP = 1, samplesPerProblem = 1, seed = 0, batchSize = 256 } = options;
  const list = problems.flatMap((p) => Array.from({ length: samplesPerProblem }, () => p));
  const rows: EvaluatedRow[] = [];
  for (let start = 0; start < list.length; start += batchSize) {
    const chunk = list.slice(start, start + batchSize);
    const out = await generate(model, chunk.map((p) => tokenizer.encode(p.prompt)), {
      maxNewTokens, temperature, topP, eosTokenId, tokenizer, seed: seed + start,
    });
    const completions = out.texts!;
    const columns: Record<string, unknown[]> = {};
    for (const key of new Set(chunk.flatMap((p) => Object.keys(p.columns)))) columns[key] = chunk.map((p) => p.columns[key]);
    const scored = await rewards.score({ prompts: chunk.map((p) => p.prompt), completions, completionIds: out.completionIds, columns });
    chunk.forEach((p, i) => {
      const scores: Record<string, number | null> = {};
      for (const name of scored.names) scores[name] = scored.perReward[name][i];
      rows.push({ question: p.question, answer: p.answer, completion: completions[i], finalAnswer: extractFinalAnswer(completions[i]), tokens: out.completionLengths[i], truncated: out.finishReasons[i] === "length", scores });
    });
  }
  const rewardMeans: Record<string, number> = {};
  for (const name of rewards.uses.map((u) => u.name)) {
    const values = rows.map((r) => r.scores[name]).filter((v): v is number => v !== null && !Number.isNaN(v));
    rewardMeans[name] = values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  }
  const n = Math.max(rows.length, 1);
  return {
    rewardMeans,
    meanCompletionTokens: rows.reduce((a, r) => a + r.tokens, 0) / n,
    truncatedRate: rows.filter((r) => r.truncated).length / n,
    rows,
  };
}
