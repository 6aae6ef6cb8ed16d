/** Opens a weight store by URL: file:///dir, http(s)://host/prefix/, redis(s)://host:port/db?prefix=... */
import { QueueConfigError } from "../errors.ts";
import { DirectoryWeightStore } from "./directory-store.ts";
import { HttpWeightStore } from "./http-store.ts";
import { RedisWeightStore } from "./redis-store.ts";
import type { WeightStore } from "./weight-store.ts";

export function openWeightStore(url: string): WeightStore {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "file":
      return new DirectoryWeightStore(url);
    case "http":
    case "https":
      return new HttpWeightStore(url);
    case "redis":
    case "rediss":
      return new RedisWeightStore(url);
    default:
      throw new QueueConfigError(`weight store: expected a file://, http(s):// or redis:// URL, got ${JSON.stringify(url)}`);
  }
}

/**
 * The store of one run under a base location: a subfolder `<run>/` of a directory or HTTP base, a key
 * prefix `r1ts:weights:<run>` in Redis. `"redis"` alone means the queue's own Redis.
 */
export function runWeightStore(base: string, run: string, queueRedis: string): WeightStore {
  if (base === "redis") return RedisWeightStore.forRun(queueRedis, run);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(base)?.[1]?.toLowerCase();
  if (scheme === "redis" || scheme === "rediss") return RedisWeightStore.forRun(base, run);
  if (scheme === "file" || scheme === "http" || scheme === "https") return openWeightStore(`${base.endsWith("/") ? base : `${base}/`}${run}/`);
  if (base.startsWith("/")) return new DirectoryWeightStore(`${base.replace(/\/$/, "")}/${run}`);
  throw new QueueConfigError(`rollout.weights: expected "redis", an absolute directory, or a file://, http(s):// or redis:// URL, got ${JSON.stringify(base)}`);
}
