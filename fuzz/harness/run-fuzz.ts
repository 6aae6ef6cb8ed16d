/**
 * Runs one target's cases in a worker thread under a watchdog: a case that does not end within
 * `timeLimitMs` is a hang (the worker is terminated and a fresh one resumes after that case); a worker
 * that dies mid-case (out of memory) is a crash. Returns the counts and the cases that failed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Outcome, OutcomeKind } from "./outcome.ts";
import type { CaseMessage, CaseRunRequest } from "./run-cases.ts";

export interface FuzzOptions {
  numRuns: number;
  seed: number;
  /** Per-case time limit (ms). */
  timeLimitMs?: number;
  /** Heap limit of the worker (MiB): a memory bomb ends the case as a crash instead of taking the machine. */
  memoryLimitMb?: number;
  /** Replay one case (by index) and return its full input. */
  replay?: number;
}

export interface FuzzFailure {
  index: number;
  kind: OutcomeKind;
  error?: string;
  stack?: string;
  preview?: string;
}

export interface FuzzReport {
  target: string;
  seed: number;
  counts: Record<OutcomeKind, number> & { cases: number };
  failures: FuzzFailure[];
  /** How often each typed error's class occurred (to see what the fuzzer reached). */
  typedErrors: Record<string, number>;
  seconds: number;
  /** With `replay`: the case's outcome and full input. */
  replayed?: { outcome: Outcome; input: string };
}

const WORKER = new URL("./fuzz-worker.mjs", import.meta.url);

export async function runFuzz(target: string, options: FuzzOptions): Promise<FuzzReport> {
  const timeLimitMs = options.timeLimitMs ?? 5000;
  const scratch = await mkdtemp(path.join(tmpdir(), `r1ts-fuzz-${target}-`));
  const started = performance.now();
  const report: FuzzReport = {
    target,
    seed: options.seed,
    counts: { cases: 0, success: 0, typed: 0, crash: 0, hang: 0 },
    failures: [],
    typedErrors: {},
    seconds: 0,
  };
  const record = (index: number, outcome: Outcome, preview?: string) => {
    report.counts.cases++;
    report.counts[outcome.kind]++;
    if (outcome.kind === "typed") {
      const kind = outcome.error?.split(":")[0] ?? "?";
      report.typedErrors[kind] = (report.typedErrors[kind] ?? 0) + 1;
    }
    if (outcome.kind === "crash" || outcome.kind === "hang") report.failures.push({ index, kind: outcome.kind, error: outcome.error, stack: outcome.stack, preview });
  };

  try {
    let skip = 0;
    for (;;) {
      const request: CaseRunRequest = { target, seed: options.seed, numRuns: options.numRuns, skip, scratch, replay: options.replay };
      const stop = await runWorker(request, timeLimitMs, options.memoryLimitMb ?? 2048, (message) => {
        if (message.type !== "end") return;
        record(message.index, message.outcome, message.preview);
        if (message.input !== undefined) report.replayed = { outcome: message.outcome, input: message.input };
      });
      if (stop.kind === "done") break;
      // The case in flight hung or killed its worker: count it, then resume after it.
      record(stop.index, { kind: stop.kind, error: stop.error });
      if (options.replay !== undefined) break;
      skip = stop.index + 1;
      if (skip >= options.numRuns) break;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

type WorkerStop = { kind: "done" } | { kind: "hang" | "crash"; index: number; error: string };

function runWorker(request: CaseRunRequest, timeLimitMs: number, memoryLimitMb: number, onMessage: (m: CaseMessage) => void): Promise<WorkerStop> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: request, resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb }, stdout: true, stderr: true });
    let inFlight: number | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const finish = (stop: WorkerStop | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (stop instanceof Error) reject(stop);
      else resolve(stop);
    };
    worker.on("message", (message: CaseMessage) => {
      if (message.type === "start") {
        inFlight = message.index;
        timer = setTimeout(() => finish({ kind: "hang", index: message.index, error: `no result within ${timeLimitMs} ms` }), timeLimitMs);
      } else if (message.type === "end") {
        clearTimeout(timer);
        inFlight = undefined;
        onMessage(message);
      } else finish({ kind: "done" });
    });
    const died = (why: string) => {
      if (inFlight !== undefined) finish({ kind: "crash", index: inFlight, error: `the worker died: ${why}` });
      else finish(new Error(`fuzz worker for ${request.target} died outside a case: ${why}`));
    };
    worker.on("error", (error) => died(`${error.name}: ${error.message}`));
    worker.on("exit", (code) => died(`exit code ${code}`));
  });
}
