/**
 * Redis connections from a `redis://[user:password@]host:port[/db]` URL (or `rediss://` for TLS). A
 * worker's connection retries forever (BullMQ's blocking commands need `maxRetriesPerRequest: null`);
 * the trainer's fails fast, so that it can bound how long it waits for Redis and then stop with a clear
 * error instead of hanging.
 */
import { Redis, type RedisOptions } from "ioredis";
import { QueueConfigError } from "./errors.ts";

export interface RedisTarget {
  /** The URL as given (password hidden in `display`). */
  url: string;
  display: string;
  options: RedisOptions;
}

export function parseRedisUrl(url: string, where = "redis"): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueConfigError(`${where}: expected a Redis URL like redis://127.0.0.1:6379, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new QueueConfigError(`${where}: expected a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isSafeInteger(db) || db < 0) throw new QueueConfigError(`${where}: the database in ${JSON.stringify(url)} must be a number, got ${JSON.stringify(parsed.pathname.slice(1))}`);
  const port = parsed.port === "" ? 6379 : Number(parsed.port);
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port,
    db,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === "rediss:" ? {} : undefined,
  };
  const display = parsed.password ? url.replace(`:${parsed.password}@`, ":***@") : url;
  return { url, display, options };
}

/** Reconnect delays: 50 ms, doubling up to 1 s; never gives up (a restarted Redis is picked up again). */
const reconnect = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/** A connection for BullMQ workers: commands wait through outages. */
export function workerConnection(target: RedisTarget): Redis {
  return new Redis({ ...target.options, maxRetriesPerRequest: null, retryStrategy: reconnect, lazyConnect: true });
}

/**
 * A connection for the trainer: while Redis is down, commands fail at once instead of queueing, so every
 * wait can be bounded; it keeps reconnecting in the background.
 */
export function producerConnection(target: RedisTarget): Redis {
  return new Redis({ ...target.options, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: reconnect, lazyConnect: true, connectTimeout: 2000 });
}
