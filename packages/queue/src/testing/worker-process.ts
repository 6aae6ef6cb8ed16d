/**
 * Real `r1ts worker` processes for fault tests and benches: started from a CLI entry point (the
 * workspace's packages/cli/bin/r1ts.js by default), their output collected line by line, killed with
 * signals.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The workspace's CLI (this package sits beside packages/cli). */
export const WORKSPACE_CLI = fileURLToPath(new URL("../../../cli/bin/r1ts.js", import.meta.url));

export interface WorkerProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Every line it printed so far. */
  readonly lines: string[];
  /** Resolves with the first line (already printed or to come) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Lines matching `pattern`. */
  count(pattern: RegExp): number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `r1ts worker --redis URL --name NAME --backend reference ARGS` and waits until it is ready. */
export async function startWorkerProcess(name: string, redisUrl: string, args: string[] = [], cli = WORKSPACE_CLI): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, [cli, "worker", "--redis", redisUrl, "--name", name, "--backend", "reference", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = "";
  const onData = (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const handle: WorkerProcess = {
    name,
    proc,
    lines,
    waitFor(pattern, timeoutMs = 30_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker ${name} printed no line matching ${pattern} within ${timeoutMs} ms; it printed:\n${lines.join("\n")}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => { clearTimeout(timer); resolve(line); } });
      });
    },
    count: (pattern) => lines.filter((l) => pattern.test(l)).length,
    async kill(signal = "SIGKILL") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      if (signal === "SIGKILL" || signal === "SIGTERM" || signal === "SIGINT") await exited;
    },
  };
  await handle.waitFor(/ready: queue/, 60_000);
  return handle;
}
