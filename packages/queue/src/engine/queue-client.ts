/**
 * The trainer's side of the queue: enqueues jobs under content-addressed ids and waits for their
 * results, counting each job once. A job whose worker died is retried by BullMQ's stalled-job recovery
 * (the workers' lock expires); a result that fails its check is logged, dropped and the job enqueued
 * again; a job that vanished (Redis restarted without persistence) is enqueued again. Every wait is
 * bounded: Redis unreachable for longer than `redisTimeoutSeconds`, or results missing after
 * `timeoutSeconds`, stop the run with a clear error (it resumes from its last checkpoint).
 */
import { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { R1tsError } from "@r1ts/core";
import { parseRedisUrl, producerConnection, type RedisTarget } from "../connection.ts";
import { QueueConfigError, QueueJobError, QueueUnavailableError } from "../errors.ts";
import type { JobName } from "../protocol.ts";

export interface QueueClientOptions {
  /** redis://host:port[/db] */
  redis: string;
  queue: string;
  /** Attempts per job on the workers (a job that throws is retried with exponential back-off). Default 3. */
  attempts?: number;
  /** Most seconds one batch of jobs may take (0 = no limit). Default 0. */
  timeoutSeconds?: number;
  /** Most seconds Redis may stay unreachable before the run stops. Default 60. */
  redisTimeoutSeconds?: number;
  /** How often pending jobs are polled (ms). Default 50. */
  pollMs?: number;
  /** How often a waiting batch logs its progress (s). Default 30. */
  progressSeconds?: number;
  /** Bad results accepted per job before the run stops. Default 3. */
  maxRejections?: number;
  log?: (line: string) => void;
}

/** One job to run: its id, name and data, and the check its result must pass. */
export interface JobSpec<R> {
  id: string;
  name: JobName;
  data: unknown;
  /** The counted result, or why the returned value cannot be counted. */
  check(value: unknown): { result: R } | { problem: string };
}

/** Finished jobs stay a day (so a resumed trainer finds results it had not counted), at most 20000. */
const KEEP = { age: 24 * 3600, count: 20_000 };

export class QueueClient {
  readonly target: RedisTarget;
  private readonly log: (line: string) => void;
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly redisTimeoutMs: number;
  private readonly pollMs: number;
  private readonly progressMs: number;
  private readonly maxRejections: number;
  private unreachableSince: number | undefined;

  private constructor(
    private readonly connection: Redis,
    readonly queue: Queue,
    readonly options: QueueClientOptions,
    target: RedisTarget,
  ) {
    this.target = target;
    this.log = options.log ?? (() => {});
    this.attempts = options.attempts ?? 3;
    this.timeoutMs = (options.timeoutSeconds ?? 0) * 1000;
    this.redisTimeoutMs = (options.redisTimeoutSeconds ?? 60) * 1000;
    this.pollMs = options.pollMs ?? 50;
    this.progressMs = (options.progressSeconds ?? 30) * 1000;
    this.maxRejections = options.maxRejections ?? 3;
  }

  /** Connects (waiting up to redisTimeoutSeconds for Redis) and opens the queue. */
  static async connect(options: QueueClientOptions): Promise<QueueClient> {
    checkOptions(options);
    const target = parseRedisUrl(options.redis, "rollout.redis");
    const connection = producerConnection(target);
    connection.on("error", () => {}); // reported through the bounded waits, not as unhandled events
    const client = new QueueClient(connection, undefined as unknown as Queue, options, target);
    await client.retrying("connecting", async () => {
      if (connection.status === "wait" || connection.status === "end") await connection.connect();
      else if (connection.status !== "ready") throw new QueueUnavailableError(`Redis connection is ${connection.status}`);
      await connection.ping();
    });
    const queue = new Queue(options.queue, { connection });
    queue.on("error", () => {});
    (client as { queue: Queue }).queue = queue;
    await client.retrying("opening the queue", () => queue.waitUntilReady());
    return client;
  }

  /**
   * Runs the jobs and returns their counted results in order. `restore` runs before a job that vanished
   * from Redis is enqueued again (to put back what else Redis lost, e.g. weights it stored).
   */
  async run<R>(specs: readonly JobSpec<R>[], label: string, restore?: () => Promise<void>): Promise<R[]> {
    const results = new Map<string, R>();
    const pending = new Map(specs.map((s) => [s.id, s]));
    const rejections = new Map<string, number>();
    await this.retrying(`enqueueing ${label}`, () => Promise.all(specs.map((s) => this.enqueue(s))));
    const started = Date.now();
    let lastProgress = started;
    while (pending.size > 0) {
      const jobs = await this.retrying(`waiting for ${label}`, () => Promise.all([...pending.values()].map(async (s) => [s, await Job.fromId(this.queue, s.id)] as const)));
      for (const [spec, job] of jobs) {
        if (job === undefined) {
          this.log(`job ${spec.id} is gone from Redis (restarted without persistence?); enqueueing it again`);
          await this.retrying(`enqueueing ${label}`, async () => {
            await restore?.();
            await this.enqueue(spec);
          });
          continue;
        }
        if (!job.finishedOn) continue;
        const state = await this.retrying(`waiting for ${label}`, () => job.getState());
        if (state === "completed") {
          const checked = spec.check(job.returnvalue);
          if ("result" in checked) {
            results.set(spec.id, checked.result);
            pending.delete(spec.id);
            continue;
          }
          const count = (rejections.get(spec.id) ?? 0) + 1;
          rejections.set(spec.id, count);
          this.log(`rejected the result of job ${spec.id} from worker ${job.processedBy ?? "(unnamed)"}: ${checked.problem}`);
          if (count > this.maxRejections) {
            throw new QueueJobError(`job ${spec.id} (${label}) returned ${count} bad results in a row, the last from worker ${job.processedBy ?? "(unnamed)"}: ${checked.problem}. Check that every worker runs the same r1ts version as the trainer.`);
          }
          await this.retrying(`enqueueing ${label}`, async () => {
            await job.remove();
            await this.enqueue(spec);
          });
        } else if (state === "failed") {
          throw new QueueJobError(`job ${spec.id} (${label}) failed on worker ${job.processedBy ?? "(unnamed)"} after ${job.attemptsMade} attempts: ${job.failedReason}`);
        }
      }
      if (pending.size === 0) break;
      const now = Date.now();
      if (this.timeoutMs > 0 && now - started > this.timeoutMs) {
        throw new QueueJobError(`${label}: ${specs.length - pending.size} of ${specs.length} jobs finished within ${this.timeoutMs / 1000} s (${await this.workerCount()} workers on queue "${this.queue.name}"); start more workers or raise rollout.timeoutSeconds`);
      }
      if (now - lastProgress >= this.progressMs) {
        lastProgress = now;
        this.log(`${label}: ${specs.length - pending.size} of ${specs.length} jobs done after ${((now - started) / 1000).toFixed(0)} s; ${await this.workerCount()} workers on queue "${this.queue.name}" at ${this.target.display}`);
      }
      await sleep(this.pollMs);
    }
    return specs.map((s) => results.get(s.id)!);
  }

  /** Workers connected to the queue now ("?" when Redis does not say). */
  async workerCount(): Promise<string> {
    try {
      return String((await withTimeout(this.queue.getWorkers(), 2000)).length);
    } catch {
      return "?";
    }
  }

  /**
   * Runs a Redis operation, retrying while Redis is unreachable; past redisTimeoutSeconds of
   * unreachability, throws a QueueUnavailableError that says how to go on.
   */
  async retrying<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const value = await withTimeout(op(), 10_000);
        if (this.unreachableSince !== undefined) {
          this.log(`Redis at ${this.target.display} is back after ${((Date.now() - this.unreachableSince) / 1000).toFixed(1)} s`);
          this.unreachableSince = undefined;
        }
        return value;
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        const now = Date.now();
        if (this.unreachableSince === undefined) {
          this.unreachableSince = now;
          this.log(`Redis at ${this.target.display} is unreachable while ${what} (${(error as Error).message}); waiting up to ${this.redisTimeoutMs / 1000} s`);
        }
        if (now - this.unreachableSince >= this.redisTimeoutMs) {
          throw new QueueUnavailableError(`Redis at ${this.target.display} was unreachable for ${((now - this.unreachableSince) / 1000).toFixed(0)} s while ${what} (rollout.redisTimeoutSeconds is ${this.redisTimeoutMs / 1000}): ${(error as Error).message}. The run stops here; start Redis again, then continue from the last checkpoint with \`r1ts run --resume <run directory>\`.`);
        }
        await sleep(Math.min(500, this.redisTimeoutMs / 10));
      }
    }
  }

  /** Adds the job unless a job with its id exists; a job that failed earlier is retried. */
  private async enqueue(spec: JobSpec<unknown>): Promise<void> {
    const existing = await Job.fromId(this.queue, spec.id);
    if (existing) {
      if ((await existing.getState()) === "failed") {
        this.log(`job ${spec.id} failed earlier (${existing.failedReason}); retrying it`);
        await existing.retry("failed");
      }
      return;
    }
    await this.queue.add(spec.name, spec.data, {
      jobId: spec.id,
      attempts: this.attempts,
      backoff: { type: "exponential", delay: 500 },
      removeOnComplete: KEEP,
      removeOnFail: KEEP,
    });
  }

  async close(): Promise<void> {
    try {
      await withTimeout(this.queue.close(), 2000);
    } catch {
      // closing a queue whose Redis is gone
    }
    this.connection.disconnect();
  }
}

function checkOptions(o: QueueClientOptions): void {
  if (typeof o.queue !== "string" || !/^[A-Za-z0-9_.-]+$/.test(o.queue)) throw new QueueConfigError(`rollout.queue must be a name of letters, digits, "_", "." and "-", got ${JSON.stringify(o.queue)}`);
  const positive = (name: keyof QueueClientOptions, min: number) => {
    const v = o[name];
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= min)) throw new QueueConfigError(`rollout.${name} must be a number >= ${min}, got ${JSON.stringify(v)}`);
  };
  positive("attempts", 1);
  positive("timeoutSeconds", 0);
  positive("redisTimeoutSeconds", 0);
  positive("pollMs", 1);
  positive("progressSeconds", 0);
  positive("maxRejections", 0);
}

const CONNECTION_PROBLEM = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed|Stream isn't writeable|enableOfflineQueue|max retries|MaxRetriesPerRequest|timed out|LOADING|Connection closed/i;

function isConnectionError(error: unknown): boolean {
  if (error instanceof QueueUnavailableError) return true;
  if (error instanceof R1tsError) return false;
  return CONNECTION_PROBLEM.test((error as Error)?.message ?? "");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class OperationTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OperationTimeout(`Redis operation timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
