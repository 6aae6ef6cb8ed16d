/**
 * Runs model-written JavaScript against one test case in a QuickJS (WASM) sandbox on a worker thread.
 * Inside: a memory limit, a stack limit, an interrupt deadline, capped console output, and no host
 * globals (require, process, fs, network). Outside: a watchdog that terminates the worker when a test
 * overruns its time by more than a grace period (QuickJS cannot interrupt a long native call such as a
 * huge allocation), after which a fresh worker serves the next test.
 */
import { Worker } from "node:worker_threads";

export interface SandboxLimits {
  /** Wall-clock time per test (ms). */
  timeMs: number;
  memoryBytes: number;
  stackBytes: number;
  /** Console output kept per test; more fails the test. */
  maxOutputBytes: number;
  /** Extra time before the worker is killed from outside (ms). */
  graceMs: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = Object.freeze({
  timeMs: 1000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 512 * 1024,
  maxOutputBytes: 64 * 1024,
  graceMs: 1000,
});

/** A test case: a JavaScript expression that must evaluate to `true`, or stdin/stdout (`input` global and `readline()`, compared to `output`). */
export type CodeTest = string | { input?: string; output: string };

export interface TestOutcome {
  passed: boolean;
  /** Why it failed. */
  error?: string;
  /** The first 1000 characters of console output. */
  output?: string;
  /** The worker had to be killed from outside. */
  killed?: boolean;
}

interface Reply extends TestOutcome {
  id?: number;
  ready?: boolean;
  recycle?: boolean;
}

export class CodeSandbox {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 0;
  private pending: { id: number; resolve: (r: Reply) => void } | undefined;

  constructor(private readonly limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS) {}

  /** Runs `code` then `test` in a fresh sandbox; never throws for anything the code does. */
  async run(code: string, test: CodeTest): Promise<TestOutcome> {
    await this.start();
    const worker = this.worker!;
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.kill();
        resolve({ passed: false, killed: true, error: `killed after ${this.limits.timeMs + this.limits.graceMs} ms (time limit ${this.limits.timeMs} ms)` });
      }, this.limits.timeMs + this.limits.graceMs);
      this.pending = {
        id,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      worker.postMessage({ id, code, test, limits: this.limits });
    });
    this.pending = undefined;
    if (reply.recycle) this.kill();
    const { passed, error, output, killed } = reply;
    return { passed, error, output, killed };
  }

  /** Stops the worker; the next run starts a new one. */
  close(): void {
    this.kill();
  }

  private start(): Promise<void> {
    if (this.ready !== undefined) return this.ready;
    const worker = new Worker(new URL("./sandbox-worker.mjs", import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 },
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once("error", reject);
      worker.on("message", (reply: Reply) => {
        if (reply.ready) {
          worker.off("error", reject);
          resolve();
        } else {
          const pending = this.pending;
          if (pending !== undefined && pending.id === reply.id) pending.resolve(reply);
        }
      });
    });
    worker.on("error", (error) => {
      const pending = this.pending;
      this.kill();
      pending?.resolve({ passed: false, killed: true, error: `sandbox worker died: ${error.message}` });
    });
    worker.on("exit", () => {
      if (this.worker === worker) {
        const pending = this.pending;
        this.worker = undefined;
        this.ready = undefined;
        pending?.resolve({ passed: false, killed: true, error: "sandbox worker exited" });
      }
    });
    return this.ready;
  }

  private kill(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker !== undefined) void worker.terminate();
  }
}
