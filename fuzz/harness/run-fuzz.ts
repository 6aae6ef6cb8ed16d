/**
 * Runs one target's cases in a child process under a watchdog: a case that does not end within
 * `timeLimitMs` is a hang (the process is killed and a fresh one resumes after that case); a process
 * that dies mid-case (out of memory, a V8 abort) is a crash. Returns the counts and the failed cases.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Outcome, OutcomeKind } from "./outcome.ts";
import type { CaseMessage, CaseRunRequest } from "./run-cases.ts";

export interface FuzzOptions {
  numRuns: number;
  seed: number;
  /** Per-case time limit (ms). */
  timeLimitMs?: number;
  /** Heap limit of the fuzz process (MiB): a memory bomb ends the case as a crash instead of taking the machine. */
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

const PROCESS = fileURLToPath(new URL("./fuzz-process.mjs", import.meta.url));

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
      let current: { preview: string; input?: string } | undefined;
      const stop = await runProcess(request, timeLimitMs, options.memoryLimitMb ?? 2048, (message) => {
        if (message.type === "start") current = message;
        if (message.type !== "end") return;
        record(message.index, message.outcome, current?.preview);
        if (current?.input !== undefined) report.replayed = { outcome: message.outcome, input: current.input };
      });
      if (stop.kind === "done") break;
      // The case in flight hung or killed its process: count it, then resume after it.
      record(stop.index, { kind: stop.kind, error: stop.error }, current?.preview);
      if (current?.input !== undefined) report.replayed = { outcome: { kind: stop.kind, error: stop.error }, input: current.input };
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

type ProcessStop = { kind: "done" } | { kind: "hang" | "crash"; index: number; error: string };

function runProcess(request: CaseRunRequest, timeLimitMs: number, memoryLimitMb: number, onMessage: (m: CaseMessage) => void): Promise<ProcessStop> {
  return new Promise((resolve, reject) => {
    const child = fork(PROCESS, [], { serialization: "advanced", execArgv: [`--max-old-space-size=${memoryLimitMb}`], stdio: ["ignore", "ignore", "pipe", "ipc"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-1000)));
    let inFlight: number | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const finish = (stop: ProcessStop | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      if (stop instanceof Error) reject(stop);
      else resolve(stop);
    };
    child.on("message", (message: CaseMessage | { type: "ready" } | { type: "harness-error"; message: string }) => {
      if (message.type === "ready") child.send(request);
      else if (message.type === "harness-error") finish(new Error(`the fuzz harness failed (a bug in the fuzzer, not in r1ts): ${message.message}`));
      else if (message.type === "start") {
        inFlight = message.index;
        timer = setTimeout(() => finish({ kind: "hang", index: message.index, error: `no result within ${timeLimitMs} ms` }), timeLimitMs);
        onMessage(message);
      } else if (message.type === "end") {
        clearTimeout(timer);
        inFlight = undefined;
        onMessage(message);
      } else finish({ kind: "done" });
    });
    const died = (why: string) => {
      const detail = `${why}${stderr.trim() === "" ? "" : `; stderr: ${stderr.trim().split("\n").slice(-3).join(" | ")}`}`;
      if (inFlight !== undefined) finish({ kind: "crash", index: inFlight, error: `the fuzz process died: ${detail}` });
      else finish(new Error(`fuzz process for ${request.target} died outside a case: ${detail}`));
    };
    child.on("error", (error) => died(`${error.name}: ${error.message}`));
    child.on("exit", (code, signal) => died(signal ?? `exit code ${code}`));
  });
}
