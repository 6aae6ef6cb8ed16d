/**
 * A RewardRunner that scores on the workers (`rewards: { on: workers }`): the rows go out as scoring jobs
 * of `rowsPerJob` rows (default: the whole batch in one job, so rewards that look at the whole batch, like
 * the length reward, score as they would on the trainer), and each worker runs the run's reward plugins,
 * sandboxed code execution included. The trainer keeps a local runner only to validate the reward list
 * and to know names and weights.
 */
import type { RewardBatch, RewardRunner, RewardScores, RewardValue } from "@r1ts/core";
import { QueueConfigError } from "../errors.ts";
import { JOB_NAMES, PROTOCOL, type ScoreJobData, type ScoreJobResult, jobId, safeRunId, scoreResultProblem } from "../protocol.ts";
import { type JobSpec, QueueClient, type QueueClientOptions } from "./queue-client.ts";

export interface QueueRewardRunnerOptions extends Omit<QueueClientOptions, "queue"> {
  queue?: string;
  run: string;
  /** The same rewards, built on the trainer: validates the list and gives names and weights. */
  local: RewardRunner;
  /** The run config's plugins and rewards, as listed there (the workers load them). */
  plugins: readonly unknown[];
  rewards: readonly unknown[];
  timeoutMs?: number;
  onError?: "fail" | "zero";
  /** Rows per scoring job (default: the whole batch). */
  rowsPerJob?: number;
}

export class QueueRewardRunner implements RewardRunner {
  readonly uses: RewardRunner["uses"];

  private constructor(private readonly client: QueueClient, private readonly options: QueueRewardRunnerOptions) {
    this.uses = options.local.uses;
  }

  static async connect(options: QueueRewardRunnerOptions): Promise<QueueRewardRunner> {
    if (options.rowsPerJob !== undefined && !(Number.isSafeInteger(options.rowsPerJob) && options.rowsPerJob >= 1)) {
      throw new QueueConfigError(`rewards.rowsPerJob must be an integer >= 1, got ${JSON.stringify(options.rowsPerJob)}`);
    }
    return new QueueRewardRunner(await QueueClient.connect({ ...options, queue: options.queue ?? "r1ts-rollouts" }), options);
  }

  async score(batch: RewardBatch): Promise<RewardScores> {
    const rows = batch.completions.length;
    const size = this.options.rowsPerJob ?? Math.max(rows, 1);
    const names = this.uses.map((u) => u.name);
    const specs: JobSpec<ScoreJobResult>[] = [];
    for (let first = 0; first < rows; first += size) {
      const end = Math.min(rows, first + size);
      const part = (list: readonly unknown[] | undefined) => list?.slice(first, end);
      const data: ScoreJobData = {
        protocol: PROTOCOL,
        run: safeRunId(this.options.run),
        plugins: [...this.options.plugins],
        rewards: [...this.options.rewards],
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        ...(this.options.onError !== undefined ? { onError: this.options.onError } : {}),
        batch: {
          prompts: part(batch.prompts) as string[],
          completions: part(batch.completions) as string[],
          ...(batch.completionIds ? { completionIds: (part(batch.completionIds) as number[][]).map((ids) => [...ids]) } : {}),
          columns: Object.fromEntries(Object.entries(batch.columns).map(([k, v]) => [k, part(v) as unknown[]])),
        },
      };
      specs.push({
        id: jobId(JOB_NAMES.score, this.options.run, [`r${first}`], data),
        name: JOB_NAMES.score,
        data,
        check: (value) => {
          const problem = scoreResultProblem(end - first, names, value);
          return problem === undefined ? { result: value as ScoreJobResult } : { problem };
        },
      });
    }
    const parts = await this.client.run(specs, `scoring ${rows} rows (${specs.length} jobs)`);
    const perReward: Record<string, RewardValue[]> = Object.fromEntries(names.map((n) => [n, []]));
    const seconds: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
    const total: RewardValue[] = [];
    const warnings: string[] = [];
    for (const p of parts) {
      for (const n of names) {
        perReward[n].push(...p.perReward[n]);
        seconds[n] += p.seconds[n] ?? 0;
      }
      total.push(...p.total);
      warnings.push(...p.warnings);
    }
    return { names, weights: Object.fromEntries(this.uses.map((u) => [u.name, u.weight])), perReward, total, seconds, warnings };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
