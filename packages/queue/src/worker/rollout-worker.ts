/**
 * A rollout and reward worker (what `r1ts worker` runs): takes jobs from one BullMQ queue, `concurrency`
 * at a time. A generation job loads the policy version it names from its weight store (cached), samples
 * each completion from its (step, prompt, sample) stream and returns token ids, finish reasons and the
 * sampler's log-probs. A scoring job loads the run's reward plugins (cached) and scores its rows, so
 * reward code (the code sandbox included) runs here, not on the trainer. Each job is logged.
 *
 * A killed worker's jobs come back to the queue when their lock expires (`lockDurationMs`), found by
 * any worker's stalled-job check (every `stalledIntervalMs`); a worker that lost a job's lock (it froze
 * for longer than the lock) has its late result refused by BullMQ.
 */
import { hostname } from "node:os";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { type PluginSpec, type RewardRunner, createRunContext, generate, rolloutRowSeeds } from "@r1ts/core";
import { parseRedisUrl, workerConnection } from "../connection.ts";
import { QueueConfigError } from "../errors.ts";
import {
  DEFAULT_QUEUE, type GenerateJobResult, JOB_NAMES, PROTOCOL, type ScoreJobData, type ScoreJobResult, generateJobSchema, scoreJobSchema,
} from "../protocol.ts";
import { PolicyCache } from "./policy-cache.ts";

export interface RolloutWorkerOptions {
  redis: string;
  queue?: string;
  /** Jobs at once (default 1). */
  concurrency?: number;
  /** Names this worker in logs and on the jobs it ran (default host-pid). */
  name?: string;
  /** A job's lock lasts this long without renewal (default 30000); a dead worker's job is retried after it. */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (default 30000). */
  stalledIntervalMs?: number;
  /** Times a job may stall before it fails (default 3). */
  maxStalledCount?: number;
  /** Policy versions kept loaded (default 2). */
  cacheVersions?: number;
  /** Simulated slow generation, for benchmarks and fault tests: wait this long per decoded token step. */
  tokenDelayMs?: number;
  /** Reward plugins every scoring job may use besides its own list (the CLI passes @r1ts/rewards). */
  builtinPlugins?: readonly PluginSpec[];
  /**
   * The plugins (names or paths, as run configs list them) a scoring job may ask this worker to load.
   * Loading a plugin runs its code, so a job naming any other plugin fails; default none.
   */
  allowedPlugins?: readonly string[];
  /** Where reward plugins listed by relative path are resolved from (default the working directory). */
  baseDir?: string;
  log?: (line: string) => void;
}

export interface RolloutWorker {
  readonly name: string;
  /** Jobs finished by this worker, by kind. */
  readonly done: { generate: number; score: number };
  /** Stops taking jobs, lets running ones finish (or abandons them with `force`), disconnects. */
  close(force?: boolean): Promise<void>;
}

export async function startRolloutWorker(options: RolloutWorkerOptions): Promise<RolloutWorker> {
  const target = parseRedisUrl(options.redis, "--redis");
  const queue = options.queue ?? DEFAULT_QUEUE;
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isSafeInteger(concurrency) && concurrency >= 1)) throw new QueueConfigError(`--concurrency must be an integer >= 1, got ${concurrency}`);
  const log = (line: string) => (options.log ?? ((l: string) => console.error(l)))(`worker ${name}: ${line}`);
  const policies = new PolicyCache(options.cacheVersions ?? 2, log);
  const runners = new Map<string, Promise<RewardRunner>>();
  const done = { generate: 0, score: 0 };

  const allowed = new Set(options.allowedPlugins ?? []);
  const rewardRunner = (data: ScoreJobData): Promise<RewardRunner> => {
    for (const spec of data.plugins) {
      const name = Array.isArray(spec) ? spec[0] : spec;
      if (typeof name !== "string" || !allowed.has(name)) {
        throw new UnrecoverableError(`the job asks for plugin ${JSON.stringify(name)}, which this worker may not load (loading a plugin runs its code); start the worker with --plugin ${typeof name === "string" ? name : "<name>"} to allow it`);
      }
    }
    const key = JSON.stringify([data.plugins, data.rewards, data.timeoutMs, data.onError]);
    let runner = runners.get(key);
    if (!runner) {
      runner = createRunContext({ plugins: data.plugins as PluginSpec[], builtins: options.builtinPlugins, baseDir: options.baseDir, warn: (m) => log(`warning: ${m}`) })
        .then((ctx) => ctx.createRewardRunner(data.rewards as never[], { timeoutMs: data.timeoutMs, onError: data.onError, warn: (m) => log(`warning: ${m}`) }));
      runner.catch(() => runners.delete(key));
      runners.set(key, runner);
    }
    return runner;
  };

  const processGenerate = async (job: Job): Promise<GenerateJobResult> => {
    const data = parse(generateJobSchema, job);
    const started = performance.now();
    log(`job ${job.id} started: step ${data.step}, policy version ${data.policyVersion}, ${data.prompts.length} prompts x ${data.groupSize}`);
    const model = await policies.acquire(data.weights, data.policyVersion);
    try {
      const rows = data.prompts.flatMap((p) => Array.from({ length: data.groupSize }, () => p));
      const result = await generate(model, rows, {
        maxNewTokens: data.maxNewTokens, temperature: data.temperature, topP: data.topP, topK: data.topK, eosTokenId: data.eosTokenId,
        rowSeeds: rolloutRowSeeds(data.seed, data.firstPrompt, data.prompts.length, data.groupSize), returnLogProbs: true, logProbsMode: "processed",
      });
      if (options.tokenDelayMs) await new Promise((r) => setTimeout(r, options.tokenDelayMs! * Math.max(...result.completionLengths)));
      const seconds = (performance.now() - started) / 1000;
      log(`job ${job.id} done in ${seconds.toFixed(2)} s (${result.completionLengths.reduce((a, b) => a + b, 0)} tokens)`);
      return { protocol: PROTOCOL, policyVersion: data.policyVersion, completionIds: result.completionIds, finishReasons: result.finishReasons, logProbs: result.completionLogProbs!, worker: name, seconds };
    } finally {
      policies.release(data.weights, data.policyVersion);
    }
  };

  const processScore = async (job: Job): Promise<ScoreJobResult> => {
    const data = parse(scoreJobSchema, job);
    const started = performance.now();
    log(`job ${job.id} started: scoring ${data.batch.completions.length} rows`);
    const scores = await (await rewardRunner(data)).score(data.batch);
    const seconds = (performance.now() - started) / 1000;
    log(`job ${job.id} done in ${seconds.toFixed(2)} s`);
    return { protocol: PROTOCOL, names: [...scores.names], weights: { ...scores.weights }, perReward: { ...scores.perReward } as Record<string, (number | null)[]>, total: [...scores.total], seconds: { ...scores.seconds }, warnings: [...scores.warnings], worker: name };
  };

  const connection = workerConnection(target);
  connection.on("error", () => {});
  const worker = new Worker(queue, async (job) => {
    if (job.name === JOB_NAMES.generate) return processGenerate(job);
    if (job.name === JOB_NAMES.score) return processScore(job);
    throw new UnrecoverableError(`unknown job name "${job.name}" (this worker runs ${Object.values(JOB_NAMES).join(" and ")} jobs)`);
  }, {
    connection,
    name,
    concurrency,
    autorun: false,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 3,
  });
  worker.on("completed", (job) => {
    if (job.name === JOB_NAMES.generate) done.generate++;
    else done.score++;
  });
  worker.on("failed", (job, error) => log(`job ${job?.id} failed (attempt ${job?.attemptsMade} of ${job?.opts.attempts ?? 1}): ${error.message}`));
  worker.on("stalled", (jobId) => log(`job ${jobId} stalled (its worker stopped renewing the lock): back in the queue for another worker`));
  let lastError = "";
  worker.on("error", (error) => {
    const message = /Missing lock|Missing key|Lock mismatch/.test(error.message)
      ? `a late result was refused: ${error.message} (this worker lost the job's lock: another worker runs it, or Redis lost it and the trainer enqueued it again)`
      : `Redis problem: ${error.message}`;
    if (message !== lastError) log(message);
    lastError = message;
  });
  await connection.connect().catch(() => {});
  void worker.run().catch((error) => log(`stopped: ${(error as Error).message}`));
  await worker.waitUntilReady().catch(() => {});
  log(`ready: queue "${queue}" at ${target.display}, ${concurrency} job(s) at a time`);

  return {
    name,
    done,
    async close(force = false) {
      await worker.close(force);
      connection.disconnect();
      await policies.close();
    },
  };
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, job: Job): T {
  const data = job.data as { protocol?: unknown };
  if (data?.protocol !== PROTOCOL) throw new UnrecoverableError(`job ${job.id} speaks protocol ${JSON.stringify(data?.protocol)}, this worker protocol ${PROTOCOL}: run the same r1ts version on the trainer and the workers`);
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`job ${job.id} has malformed data: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
