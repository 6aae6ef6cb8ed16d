/**
 * A pool of worker threads that score rewards under a watchdog. Each job runs on a free worker with a
 * time limit; a job still running then is stopped by terminating its worker (which stops a synchronous
 * loop or a regular expression backtracking for minutes, which no AbortSignal can), and a fresh worker
 * takes its place. Workers are reused between batches and keep the rewards they loaded; idle workers do
 * not keep the process alive.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { CORE_VERSION } from "../plugin/core-version.ts";
import type { RewardBatch } from "./reward.ts";
import type { RewardSource } from "./reward-source.ts";
import { rewardSourceKey } from "./reward-source.ts";

export interface RewardPoolOptions {
  /** Worker threads (default: min(4, available cores)). */
  size?: number;
  /** Heap limit of each worker (MiB, default 2048). */
  memoryLimitMb?: number;
  /** Time allowed to load a reward's module in a worker, not counted in its timeout (ms, default 60000). */
  loadTimeoutMs?: number;
}

export interface PoolJob {
  source: RewardSource;
  name: string;
  batch: RewardBatch;
  options: unknown;
  timeoutMs: number;
  warn: (message: string) => void;
}

/** How a pooled job ended. `load-failed`: the worker could not rebuild the reward (the caller may run it in-thread). */
export type PoolResult =
  | { kind: "scores"; scores: unknown }
  | { kind: "threw"; message: string }
  | { kind: "timeout" }
  | { kind: "load-failed"; message: string }
  | { kind: "died"; message: string };

interface Slot {
  worker: Worker;
  busy: boolean;
  loaded: Set<string>;
}

type Reply = { type: "loaded" | "scores" | "error" | "warn"; id: number; scores?: unknown; message?: string };

export class RewardWorkerPool {
  private readonly size: number;
  private readonly memoryLimitMb: number;
  private readonly loadTimeoutMs: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private nextId = 0;
  private closed = false;

  constructor(options: RewardPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? Math.min(4, availableParallelism()));
    this.memoryLimitMb = options.memoryLimitMb ?? 2048;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 60_000;
  }

  /** Workers started so far (alive). */
  get workers(): number {
    return this.slots.length;
  }

  async run(job: PoolJob): Promise<PoolResult> {
    if (this.closed) return { kind: "died", message: "the reward pool is closed" };
    const slot = await this.acquire();
    slot.worker.ref();
    try {
      const key = rewardSourceKey(job.source, job.name);
      if (!slot.loaded.has(key)) {
        const loaded = await this.request(slot, { type: "load", key, source: job.source, name: job.name }, this.loadTimeoutMs, job.warn);
        if (loaded.kind === "timeout") return { kind: "load-failed", message: `loading it took over ${this.loadTimeoutMs} ms` };
        if (loaded.kind !== "scores") return { kind: "load-failed", message: (loaded as { message: string }).message };
        slot.loaded.add(key);
      }
      return await this.request(slot, { type: "score", key, batch: job.batch, options: job.options }, job.timeoutMs, job.warn);
    } finally {
      this.release(slot);
    }
  }

  /**
   * Starts the pool's workers and loads `rewards` in each, in the background (a worker's first load,
   * module compilation included, can take a second: better spent while the model loads). Failures are
   * left for the real runs to report.
   */
  async preload(rewards: readonly { source: RewardSource; name: string }[]): Promise<void> {
    if (this.closed || rewards.length === 0) return;
    const loadInto = async (): Promise<void> => {
      const slot = await this.acquire();
      try {
        for (const { source, name } of rewards) {
          const key = rewardSourceKey(source, name);
          if (slot.loaded.has(key) || this.closed) continue;
          const loaded = await this.request(slot, { type: "load", key, source, name }, this.loadTimeoutMs, () => {});
          if (loaded.kind === "scores") slot.loaded.add(key);
        }
      } finally {
        this.release(slot);
      }
    };
    // One load per worker the pool may hold: each takes a distinct worker (spawned, or free again).
    await Promise.all(Array.from({ length: this.size }, loadInto));
  }

  /** Terminates every worker; later runs fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private request(slot: Slot, message: Record<string, unknown>, timeoutMs: number, warn: (m: string) => void): Promise<PoolResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const done = (result: PoolResult) => {
        clearTimeout(timer);
        slot.worker.off("message", onMessage);
        slot.worker.off("exit", onExit);
        slot.worker.off("error", onError);
        resolve(result);
      };
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return;
        if (reply.type === "warn") warn(reply.message ?? "");
        else if (reply.type === "error") done({ kind: message.type === "load" ? "load-failed" : "threw", message: reply.message ?? "" });
        else done({ kind: "scores", scores: reply.scores });
      };
      let errorMessage = "";
      const onError = (error: Error) => (errorMessage = error.message);
      const onExit = (code: number) => {
        this.discard(slot);
        done({ kind: "died", message: `its worker stopped (${errorMessage || `exit code ${code}`})` });
      };
      const timer = setTimeout(() => {
        // The watchdog: terminating the worker stops whatever it runs, synchronous or not.
        slot.worker.off("exit", onExit);
        this.discard(slot);
        done({ kind: "timeout" });
      }, timeoutMs);
      slot.worker.on("message", onMessage);
      slot.worker.once("exit", onExit);
      slot.worker.once("error", onError);
      try {
        slot.worker.postMessage({ ...message, id });
      } catch (error) {
        done({ kind: message.type === "load" ? "load-failed" : "died", message: `it cannot be sent to a worker (${(error as Error).message})` });
      }
    });
  }

  private acquire(): Promise<Slot> {
    const free = this.slots.find((s) => !s.busy);
    if (free !== undefined) {
      free.busy = true;
      return Promise.resolve(free);
    }
    if (this.slots.length < this.size) {
      const slot = this.spawn();
      slot.busy = true;
      return Promise.resolve(slot);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const alive = this.slots.includes(slot);
    const next = this.waiting.shift();
    if (next !== undefined) {
      const target = alive ? slot : this.spawn();
      target.busy = true;
      next(target);
      return;
    }
    if (alive) {
      slot.busy = false;
      slot.worker.unref();
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./reward-worker.mjs", import.meta.url), {
      workerData: { coreVersion: CORE_VERSION },
      resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb },
    });
    worker.unref();
    // An uncaught error in a worker ends it; the job in flight sees the exit.
    worker.on("error", () => {});
    const slot: Slot = { worker, busy: false, loaded: new Set() };
    this.slots.push(slot);
    return slot;
  }

  private discard(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.worker.terminate();
  }
}

let shared: RewardWorkerPool | undefined;

/** The process's shared pool, started on first use. */
export function sharedRewardPool(): RewardWorkerPool {
  shared ??= new RewardWorkerPool();
  return shared;
}
