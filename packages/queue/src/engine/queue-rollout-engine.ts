/**
 * A RolloutEngine whose generation runs on `r1ts worker` processes, anywhere that reaches one Redis.
 * Each request is split into jobs of `promptsPerJob` prompts (G completions each); a job names the
 * policy version that must sample it, which the engine publishes to a weight store first. Workers seed
 * every completion by (step, prompt, sample), so the rollouts equal the local engine's on the same backend,
 * whatever the number of workers and however the jobs fall on them.
 *
 * `submit` hands a request out and resolves once the jobs are queued (the policy's weights are read by
 * then); its `result` resolves when every job is back. Training may run in between (async rollouts).
 */
import { type HostTensor, type RolloutEngine, type RolloutRequest, type Rollouts, type TokenDecoder, type TransformerConfig, serializeSafetensors } from "@r1ts/core";
import { QueueConfigError } from "../errors.ts";
import { type GenerateJobData, type GenerateJobResult, JOB_NAMES, PROTOCOL, generateResultProblem, jobId, safeRunId } from "../protocol.ts";
import { RedisWeightStore } from "../weights/redis-store.ts";
import type { WeightStore } from "../weights/weight-store.ts";
import { type JobSpec, QueueClient, type QueueClientOptions } from "./queue-client.ts";

/** What the engine publishes for the workers: the architecture, and the current weights. */
export interface PublishedPolicy {
  readonly config: TransformerConfig;
  stateDict(): Promise<Record<string, HostTensor>>;
}

export interface QueueRolloutEngineOptions extends Omit<QueueClientOptions, "queue"> {
  queue?: string;
  /** The run's id: names its jobs and its namespace in the weight store. */
  run: string;
  /** The policy being trained (its config and weights are published per version). */
  policy: PublishedPolicy;
  /** Decodes completions on the trainer (workers return token ids). */
  tokenizer: TokenDecoder;
  /** Where policy versions go; its URL must open on every worker. */
  weights: WeightStore;
  /** Prompts per job (each with G completions). Default 1. */
  promptsPerJob?: number;
  /** Policy versions kept in the store (older ones are deleted). Default 4. */
  keepVersions?: number;
}

/** Rollouts handed out: `result` resolves when every job is back. */
export interface PendingRollouts {
  readonly step: number;
  readonly policyVersion: number;
  result(): Promise<Rollouts>;
}

export class QueueRolloutEngine implements RolloutEngine {
  readonly name = "queue";
  /** Generation runs in other processes: the trainer may train while rollouts are pending. */
  readonly concurrent = true;
  private readonly promptsPerJob: number;
  private readonly keepVersions: number;
  private readonly published = new Set<number>();
  /** The bytes of recent versions, kept when the store is Redis itself (a restarted Redis loses them). */
  private readonly kept = new Map<number, Uint8Array>();
  private modelPublished = false;
  private counter = 0;

  private constructor(private readonly client: QueueClient, private readonly options: QueueRolloutEngineOptions) {
    this.promptsPerJob = options.promptsPerJob ?? 1;
    this.keepVersions = options.keepVersions ?? 4;
  }

  static async connect(options: QueueRolloutEngineOptions): Promise<QueueRolloutEngine> {
    for (const [name, min] of [["promptsPerJob", 1], ["keepVersions", 1]] as const) {
      const v = options[name];
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) throw new QueueConfigError(`rollout.${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    }
    const client = await QueueClient.connect({ ...options, queue: options.queue ?? "r1ts-rollouts" });
    return new QueueRolloutEngine(client, options);
  }

  get queueName(): string {
    return this.client.queue.name;
  }

  /** The Redis URL, password hidden. */
  get redisDisplay(): string {
    return this.client.target.display;
  }

  async generate(request: RolloutRequest): Promise<Rollouts> {
    return (await this.submit(request)).result();
  }

  /** Publishes the policy version the request names (from the current weights, once) and queues its jobs. */
  async submit(request: RolloutRequest): Promise<PendingRollouts> {
    const step = request.step ?? this.counter;
    this.counter = step + 1;
    const policyVersion = request.policyVersion ?? step;
    await this.publish(policyVersion);
    const { run, tokenizer } = this.options;
    const vocabSize = this.options.policy.config.vocabSize;
    const specs: JobSpec<GenerateJobResult>[] = [];
    for (let first = 0; first < request.prompts.length; first += this.promptsPerJob) {
      const data: GenerateJobData = {
        protocol: PROTOCOL,
        run: safeRunId(run),
        step,
        policyVersion,
        weights: this.options.weights.url,
        firstPrompt: first,
        prompts: request.prompts.slice(first, first + this.promptsPerJob).map((p) => [...p]),
        groupSize: request.groupSize,
        maxNewTokens: request.maxNewTokens,
        temperature: request.temperature,
        topP: request.topP,
        ...(request.topK !== undefined ? { topK: request.topK } : {}),
        eosTokenId: request.eosTokenId,
        seed: request.seed,
      };
      specs.push({
        id: jobId(JOB_NAMES.generate, run, [`s${step}`, `p${first}`], data),
        name: JOB_NAMES.generate,
        data,
        check: (value) => {
          const problem = generateResultProblem(data, value, vocabSize);
          return problem === undefined ? { result: value as GenerateJobResult } : { problem };
        },
      });
    }
    const results = this.client.run(specs, `step ${step}'s rollouts (policy version ${policyVersion}, ${specs.length} jobs)`, () => this.restore(policyVersion));
    results.catch(() => {}); // reported by result()
    return {
      step,
      policyVersion,
      result: async () => {
        const parts = await results;
        const out: Rollouts = { completionIds: [], texts: [], finishReasons: [], logProbs: [], policyVersion };
        for (const part of parts) {
          out.completionIds.push(...part.completionIds);
          out.finishReasons.push(...part.finishReasons);
          out.logProbs!.push(...part.logProbs);
        }
        // As generate does: the EOS token left out, and an empty completion decodes to "".
        out.texts = out.completionIds.map((ids, i) => {
          const text = out.finishReasons[i] === "eos" ? ids.slice(0, -1) : ids;
          return text.length === 0 ? "" : tokenizer.decode(text);
        });
        return out;
      },
    };
  }

  /** Writes the current weights as `version` (once per version), and the model config once. */
  private async publish(version: number): Promise<void> {
    if (this.published.has(version)) return;
    const store = this.options.weights;
    await this.client.retrying(`publishing policy version ${version} to ${store.url}`, async () => {
      if (!this.modelPublished) {
        await store.putModel({ model: this.options.policy.config });
        this.modelPublished = true;
      }
      const bytes = serializeSafetensors(await this.options.policy.stateDict());
      await store.put(version, bytes);
      await store.prune(version - this.keepVersions + 1);
      if (store instanceof RedisWeightStore) {
        this.kept.set(version, bytes);
        for (const v of this.kept.keys()) if (v <= version - this.keepVersions) this.kept.delete(v);
      }
    });
    this.published.add(version);
  }

  /** After Redis lost its data: puts the model config and `version` back into a Redis weight store. */
  private async restore(version: number): Promise<void> {
    const store = this.options.weights;
    const bytes = this.kept.get(version);
    if (!bytes || (await store.has(version))) return;
    this.options.log?.(`policy version ${version} is gone from ${store.url}; publishing it again`);
    await store.putModel({ model: this.options.policy.config });
    await store.put(version, bytes);
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.options.weights.close();
  }

  dispose(): void {
    void this.close();
  }
}
