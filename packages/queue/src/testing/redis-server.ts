/**
 * A throwaway redis-server (Debian's `redis-server` binary) on a free loopback port, without persistence:
 * what the queue tests and benches run against. `restart` stops it and starts a fresh one on the same
 * port (its data gone, as after a crash of a Redis without persistence).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty). */
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(options: { port?: number; binary?: string } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const binary = options.binary ?? process.env.R1TS_REDIS_SERVER ?? "redis-server";
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const proc = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"], { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on port ${port} did not start within 10 s:\n${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/i.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on("data", onData);
      proc.stderr!.on("data", onData);
      proc.once("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${binary} (install Debian's redis-server: apt-get install redis-server): ${error.message}`));
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on port ${port} exited with code ${code}:\n${output}`));
      });
    });
    proc.stdout!.resume();
    proc.stderr!.resume();
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGKILL");
    });
  };

  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}
