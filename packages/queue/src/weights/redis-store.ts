/**
 * A weight store in Redis itself, for small models: no shared file system or HTTP server needed. Keys
 * `<prefix>:model.json` and `<prefix>:v000012.safetensors`; URL `redis://host:port/db?prefix=<prefix>`.
 * Redis holds a value of at most 512 MiB, and every version costs Redis memory: larger models belong in
 * a directory or HTTP store.
 */
import { Redis } from "ioredis";
import { parseRedisUrl } from "../connection.ts";
import { QueueUnavailableError, WeightStoreError } from "../errors.ts";
import { MODEL_FILE, type PolicyModel, type WeightStore, versionName, versionOf } from "./weight-store.ts";

/** Redis's own limit on one value (proto-max-bulk-len), less room for the command. */
export const REDIS_MAX_VALUE_BYTES = 512 * 2 ** 20 - 4096;

export class RedisWeightStore implements WeightStore {
  readonly url: string;
  private readonly prefix: string;
  private readonly redis: Redis;
  private readonly display: string;

  constructor(url: string) {
    const parsed = new URL(url);
    this.prefix = parsed.searchParams.get("prefix") ?? "r1ts:weights";
    parsed.search = "";
    const target = parseRedisUrl(parsed.href, "weight store");
    this.display = target.display;
    this.url = `${parsed.href}?prefix=${encodeURIComponent(this.prefix)}`;
    this.redis = new Redis({ ...target.options, lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 2000, retryStrategy: (n) => Math.min(50 * 2 ** n, 1000) });
    this.redis.on("error", () => {}); // failures surface as errors of the calls
  }

  /** The store of run `run` in the Redis at `redisUrl` (its URL has no query yet). */
  static forRun(redisUrl: string, run: string): RedisWeightStore {
    const base = new URL(redisUrl);
    base.searchParams.set("prefix", `r1ts:weights:${run}`);
    return new RedisWeightStore(base.href);
  }

  async putModel(model: PolicyModel): Promise<void> {
    await this.call(() => this.redis.set(this.key(MODEL_FILE), JSON.stringify(model)));
  }

  async getModel(): Promise<PolicyModel> {
    const text = await this.call(() => this.redis.get(this.key(MODEL_FILE)));
    if (text === null) throw new WeightStoreError(`weight store ${this.url}: does not hold the model config (no key ${this.key(MODEL_FILE)}; the trainer publishes it with its first rollouts)`);
    try {
      return JSON.parse(text) as PolicyModel;
    } catch (error) {
      throw new WeightStoreError(`weight store ${this.url}: ${this.key(MODEL_FILE)} is not valid JSON (${(error as Error).message})`);
    }
  }

  async put(version: number, safetensors: Uint8Array): Promise<void> {
    if (safetensors.byteLength > REDIS_MAX_VALUE_BYTES) {
      throw new WeightStoreError(`weight store ${this.url}: policy version ${version} is ${(safetensors.byteLength / 2 ** 20).toFixed(0)} MiB, more than one Redis value holds (512 MiB); use a directory (file:///shared/dir) or HTTP weight store`);
    }
    await this.call(() => this.redis.set(this.key(versionName(version)), Buffer.from(safetensors.buffer, safetensors.byteOffset, safetensors.byteLength)));
  }

  async get(version: number): Promise<Uint8Array> {
    const bytes = await this.call(() => this.redis.getBuffer(this.key(versionName(version))));
    if (bytes === null) throw new WeightStoreError(`weight store ${this.url}: does not hold policy version ${version} (no key ${this.key(versionName(version))})`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async has(version: number): Promise<boolean> {
    return (await this.call(() => this.redis.exists(this.key(versionName(version))))) === 1;
  }

  async prune(keepFrom: number): Promise<void> {
    const keys = await this.call(() => this.redis.keys(`${this.prefix}:v*.safetensors`));
    const old = keys.filter((k) => (versionOf(k.slice(this.prefix.length + 1)) ?? Infinity) < keepFrom);
    if (old.length > 0) await this.call(() => this.redis.del(...old));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  private async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      if (this.redis.status === "wait") await this.redis.connect();
      return await op();
    } catch (error) {
      if (error instanceof WeightStoreError) throw error;
      throw new QueueUnavailableError(`weight store ${this.display}: Redis did not answer (${(error as Error).message})`);
    }
  }
}
