/**
 * Rejection sampling from a model (R1 paper §2.3.3; docs/r1-recipe.md): k completions of each prompt, scored
 * by the rewards (and the readability filters' rewards), then `selectSamples` keeps the correct and readable
 * ones. Generation goes in batches of prompts; each
 * batch's scored completions are saved to `<workDir>/batch-NNNN.jsonl` (atomically), so an interrupted
 * run continues with the first batch not saved. Sampling is seeded per batch: the same seed gives the
 * same samples whether or not the run was interrupted.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { generate } from "../generate/generate.ts";
import { writeFileAtomic } from "../io/atomic-write.ts";
import type { RewardRunner } from "../reward/runner.ts";
import type { ModelBundle } from "../run/model-bundle.ts";
import type { Problem } from "../tasks/task.ts";
import { R1tsError } from "../errors.ts";
import { readabilityRewardUses } from "./readability.ts";
import type { ResolvedRejectionSamplingOptions } from "./rejection-options.ts";
import { type Candidate, type SelectionStats, selectSamples } from "./select-samples.ts";

export interface RejectionResult {
  kept: Candidate[];
  stats: SelectionStats;
  generatedTokens: number;
  /** Batches loaded from an earlier attempt instead of generated. */
  resumedBatches: number;
}

export interface RejectionIo {
  /** Where the per-batch files go. */
  workDir: string;
  /** Scores the readability filters that are on (readabilityRewardUses); required when any is. */
  readability?: RewardRunner;
  log?: (message: string) => void;
  progress?: (done: number, total: number) => void;
}

/** The seed of batch `b`: a hash of the run seed and the batch index. */
export function batchSeed(seed: number, batch: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(batch + 1, 0x85ebca6b)) >>> 0;
}

export async function rejectionSample(
  bundle: ModelBundle,
  problems: readonly Problem[],
  rewards: RewardRunner,
  options: ResolvedRejectionSamplingOptions & { seed: number },
  io: RejectionIo,
): Promise<RejectionResult> {
  await mkdir(io.workDir, { recursive: true });
  if (readabilityRewardUses(options.filters).length > 0 && !io.readability) {
    throw new R1tsError("rejection sampling: the readability filters are on, but no reward runner scores them (give io.readability: a runner of readabilityRewardUses(filters))");
  }
  const k = options.samplesPerPrompt;
  const longest = Math.max(1, ...problems.map((p) => bundle.tokenizer.encode(p.prompt).length));
  const maxNewTokens = Math.max(1, Math.min(options.maxNewTokens ?? Number.POSITIVE_INFINITY, bundle.model.config.maxSeqLen - longest));
  const batches = Math.ceil(problems.length / options.promptsPerBatch);
  const candidates: Candidate[] = [];
  let resumedBatches = 0;
  for (let b = 0; b < batches; b++) {
    const file = join(io.workDir, `batch-${String(b).padStart(4, "0")}.jsonl`);
    const saved = await readBatch(file);
    if (saved) {
      candidates.push(...saved);
      resumedBatches++;
      io.progress?.(b + 1, batches);
      continue;
    }
    const first = b * options.promptsPerBatch;
    const chunk = problems.slice(first, first + options.promptsPerBatch);
    const rows = chunk.flatMap((p) => Array.from({ length: k }, () => p));
    const out = await generate(bundle.model, rows.map((p) => bundle.tokenizer.encode(p.prompt)), {
      maxNewTokens, temperature: options.temperature, topP: options.topP, eosTokenId: bundle.eosTokenId, tokenizer: bundle.tokenizer, seed: batchSeed(options.seed, b),
    });
    const columns: Record<string, unknown[]> = {};
    for (const key of new Set(rows.flatMap((p) => Object.keys(p.columns)))) columns[key] = rows.map((p) => p.columns[key]);
    const scoredBatch = { prompts: rows.map((p) => p.prompt), completions: out.texts!, completionIds: out.completionIds, columns };
    const scored = await rewards.score(scoredBatch);
    const readable = io.readability ? await io.readability.score(scoredBatch) : undefined;
    const batch: Candidate[] = rows.map((p, i) => ({
      group: first + Math.floor(i / k),
      question: p.question,
      prompt: p.prompt,
      answer: p.answer,
      completion: out.texts![i],
      tokens: out.completionLengths[i],
      truncated: out.finishReasons[i] === "length",
      scores: Object.fromEntries([...scored.names.map((n) => [n, scored.perReward[n][i]]), ...(readable?.names ?? []).map((n) => [n, readable!.perReward[n][i]])]),
    }));
    await writeFileAtomic(file, batch.map((c) => JSON.stringify(c)).join("\n") + "\n");
    candidates.push(...batch);
    io.progress?.(b + 1, batches);
  }
  if (resumedBatches > 0) io.log?.(`rejection sampling: ${resumedBatches} of ${batches} batches loaded from an earlier attempt`);
  const { kept, stats } = selectSamples(candidates, {
    thresholds: options.thresholds, filters: options.filters, dropTruncated: options.dropTruncated, dedupe: options.dedupe, maxPerPrompt: options.maxPerPrompt,
  });
  return { kept, stats, generatedTokens: candidates.reduce((a, c) => a + c.tokens, 0), resumedBatches };
}

async function readBatch(file: string): Promise<Candidate[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Candidate);
}

/** The SFT dataset rows of the kept completions: prompt, completion, question, answer and their scores. */
export function datasetRows(kept: readonly Candidate[]): Record<string, unknown>[] {
  return kept.map((c) => ({ prompt: c.prompt, completion: c.completion, question: c.question, answer: c.answer, scores: c.scores }));
}

/** Writes rows as JSON Lines, atomically. */
export async function writeJsonl(file: string, rows: readonly unknown[]): Promise<void> {
  await writeFileAtomic(file, rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : ""));
}
