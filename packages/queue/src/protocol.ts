/**
 * What the trainer and the workers exchange through the queue: the job names, each job's data and
 * result, and the checks a result must pass before the trainer counts it. Job ids are content
 * addresses (run, step, chunk and a hash of the data), so enqueueing the same work twice (a retry, a
 * resumed trainer) names the same job, and BullMQ keeps one.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

/** Bumped when job data or results change shape; a worker refuses jobs of another protocol. */
export const PROTOCOL = 1;

export const JOB_NAMES = { generate: "generate", score: "score" } as const;
export type JobName = (typeof JOB_NAMES)[keyof typeof JOB_NAMES];

/** The default queue name of `rollout: { engine: queue }` and `r1ts worker`. */
export const DEFAULT_QUEUE = "r1ts-rollouts";

const tokenIds = z.array(z.number().int().min(0));

/** A generation job: G completions of each of a few prompts of one step, sampled by one policy version. */
export const generateJobSchema = z.object({
  protocol: z.literal(PROTOCOL),
  run: z.string().min(1),
  step: z.number().int().min(0),
  policyVersion: z.number().int().min(0),
  /** The weight store holding the policy version (a URL every worker can open). */
  weights: z.string().min(1),
  /** Index of this job's first prompt in the step's request: row seeds are per prompt of the whole request. */
  firstPrompt: z.number().int().min(0),
  prompts: z.array(tokenIds.min(1)).min(1),
  groupSize: z.number().int().min(1),
  maxNewTokens: z.number().int().min(1),
  temperature: z.number().min(0),
  topP: z.number().gt(0).max(1),
  topK: z.number().int().min(0).optional(),
  eosTokenId: z.number().int().min(0),
  seed: z.number().int().min(0),
}).strict();
export type GenerateJobData = z.infer<typeof generateJobSchema>;

export const generateResultSchema = z.object({
  protocol: z.literal(PROTOCOL),
  policyVersion: z.number().int().min(0),
  completionIds: z.array(tokenIds),
  finishReasons: z.array(z.enum(["eos", "stop", "length"])),
  logProbs: z.array(z.array(z.number())),
  worker: z.string(),
  seconds: z.number(),
});
export type GenerateJobResult = z.infer<typeof generateResultSchema>;

/** A scoring job: the run's rewards (loaded on the worker from the plugin list) over some rows of a step. */
export const scoreJobSchema = z.object({
  protocol: z.literal(PROTOCOL),
  run: z.string().min(1),
  /** Plugin specs as a run config lists them (npm names, or paths valid on the workers). */
  plugins: z.array(z.unknown()),
  /** Reward uses as a run config lists them. */
  rewards: z.array(z.unknown()).min(1),
  timeoutMs: z.number().positive().optional(),
  onError: z.enum(["fail", "zero"]).optional(),
  batch: z.object({
    prompts: z.array(z.string()),
    completions: z.array(z.string()),
    completionIds: z.array(tokenIds).optional(),
    columns: z.record(z.string(), z.array(z.unknown())),
  }).strict(),
}).strict();
export type ScoreJobData = z.infer<typeof scoreJobSchema>;

const score = z.number().nullable();
export const scoreResultSchema = z.object({
  protocol: z.literal(PROTOCOL),
  names: z.array(z.string()),
  weights: z.record(z.string(), z.number()),
  perReward: z.record(z.string(), z.array(score)),
  total: z.array(score),
  seconds: z.record(z.string(), z.number()),
  warnings: z.array(z.string()),
  worker: z.string(),
});
export type ScoreJobResult = z.infer<typeof scoreResultSchema>;

/** Letters, digits, `_` and `-` only: run names go into job ids and store keys. */
export function safeRunId(run: string): string {
  const id = run.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  return id === "" ? "run" : id;
}

/** A short content hash of job data (16 hex digits of SHA-256 over its JSON). */
export function dataHash(data: unknown): string {
  return createHash("sha256").update(JSON.stringify(data)).digest("hex").slice(0, 16);
}

/** `<name>.<run>.<part>...<hash>`: BullMQ ids may not contain ":" and may not look like integers. */
export function jobId(name: JobName, run: string, parts: readonly (string | number)[], data: unknown): string {
  return [name, safeRunId(run), ...parts, dataHash(data)].join(".");
}

/**
 * Why a generation result cannot be counted (undefined when it can): wrong protocol or policy version,
 * wrong number of rows, tokens outside the vocabulary, completions longer than asked, finish reasons that
 * contradict the tokens, log-probs that are missing, positive or not finite.
 */
export function generateResultProblem(data: GenerateJobData, value: unknown, vocabSize: number): string | undefined {
  const parsed = generateResultSchema.safeParse(value);
  if (!parsed.success) return `malformed result (${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "result"}: ${i.message}`).join("; ")})`;
  const r = parsed.data;
  if (r.policyVersion !== data.policyVersion) return `stale policy version: sampled with version ${r.policyVersion}, the job asked for version ${data.policyVersion}`;
  const rows = data.prompts.length * data.groupSize;
  for (const [what, list] of [["completions", r.completionIds], ["finish reasons", r.finishReasons], ["log-prob rows", r.logProbs]] as const) {
    if (list.length !== rows) return `wrong shape: ${list.length} ${what} for ${data.prompts.length} prompts x ${data.groupSize} samples = ${rows} rows`;
  }
  for (let i = 0; i < rows; i++) {
    const ids = r.completionIds[i];
    const reason = r.finishReasons[i];
    if (ids.length === 0 || ids.length > data.maxNewTokens) return `wrong shape: row ${i} has ${ids.length} tokens (expected 1..${data.maxNewTokens})`;
    const bad = ids.find((id) => id >= vocabSize);
    if (bad !== undefined) return `row ${i} holds token ${bad}, outside the vocabulary of ${vocabSize}`;
    const eosAt = ids.indexOf(data.eosTokenId);
    if (reason === "eos" && eosAt !== ids.length - 1) return `row ${i} finished with "eos" but its last token is not the EOS token`;
    if (reason !== "eos" && eosAt >= 0) return `row ${i} holds the EOS token at ${eosAt} but finished with "${reason}"`;
    if (reason === "length" && ids.length !== data.maxNewTokens) return `row ${i} finished with "length" after ${ids.length} of ${data.maxNewTokens} tokens`;
    const lp = r.logProbs[i];
    if (lp.length !== ids.length) return `wrong shape: row ${i} has ${lp.length} log-probs for ${ids.length} tokens`;
    if (lp.some((v) => !Number.isFinite(v) || v > 1e-4)) return `row ${i} has a log-prob that is not a finite number <= 0`;
  }
  return undefined;
}

/** Why a scoring result cannot be counted: other reward names than the trainer's, or rows missing. */
export function scoreResultProblem(rows: number, names: readonly string[], value: unknown): string | undefined {
  const parsed = scoreResultSchema.safeParse(value);
  if (!parsed.success) return `malformed result (${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "result"}: ${i.message}`).join("; ")})`;
  const r = parsed.data;
  if (r.names.join("\n") !== names.join("\n")) return `the worker scored rewards [${r.names.join(", ")}], the trainer uses [${names.join(", ")}]`;
  if (r.total.length !== rows) return `wrong shape: ${r.total.length} totals for ${rows} rows`;
  for (const name of names) if (r.perReward[name]?.length !== rows) return `wrong shape: reward "${name}" has ${r.perReward[name]?.length ?? 0} scores for ${rows} rows`;
  return undefined;
}
