/**
 * `r1ts worker --redis URL`: a rollout and reward worker for runs with `rollout: { engine: queue }`.
 * Takes generation and scoring jobs from the queue until SIGINT/SIGTERM (then finishes its running
 * jobs); loads each policy version a job names from the run's weight store. Start any number, on any
 * machine that reaches the Redis and the weight store (docs/distributed.md).
 */
import { lastBackendSelection, setBackend } from "@r1ts/core";
import { r1Rewards } from "@r1ts/rewards";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { integerFlag, parseFlags } from "./flags.ts";

const usage = `usage: r1ts worker --redis URL [--queue NAME] [--concurrency N] [--backend NAME] [--name NAME]
                   [--plugin NAME]... [--lock-ms MS] [--stalled-ms MS] [--cache-versions N] [--token-delay-ms MS]

Generates rollouts and scores rewards for trainers whose config says rollout: { engine: queue }.
Runs until stopped (SIGINT or SIGTERM let running jobs finish). Each job is logged to stderr.

  --redis URL          the Redis the trainer uses, e.g. redis://10.0.0.5:6379 (required)
  --queue NAME         the queue (default r1ts-rollouts; the trainer's rollout.queue)
  --concurrency N      jobs at once (default 1)
  --backend NAME       backend name or auto (default auto); use the trainer's for identical rollouts
  --name NAME          this worker's name in logs and on its jobs (default host-pid)
  --plugin NAME        a reward plugin (npm name or path, as the run config lists it) that scoring jobs
                       may load; repeat for each. The built-in rewards need none. Others are refused:
                       loading a plugin runs its code, and anyone who can write to the Redis sends jobs.
  --lock-ms MS         a job's lock without renewal; a killed worker's job is retried after it (default 30000)
  --stalled-ms MS      how often to look for jobs of dead workers (default 30000)
  --cache-versions N   policy versions kept loaded (default 2)
  --token-delay-ms MS  simulate slow generation: wait MS per decoded token (benchmarks, fault tests)`;

export const workerCommand: Command = {
  name: "worker",
  summary: "generate rollouts and score rewards for queue-engine runs (BullMQ + Redis)",
  usage,
  async run(args) {
    const { values } = parseFlags(args, usage, {
      redis: { type: "string" }, queue: { type: "string" }, plugin: { type: "string", multiple: true }, concurrency: { type: "string" }, backend: { type: "string" },
      name: { type: "string" }, "lock-ms": { type: "string" }, "stalled-ms": { type: "string" }, "cache-versions": { type: "string" }, "token-delay-ms": { type: "string" },
    });
    const text = (name: string) => values[name] as string | undefined;
    if (text("redis") === undefined) throw new UsageError(`--redis is required\n\n${usage}`);
    const options = {
      concurrency: integerFlag("concurrency", values.concurrency, 1), lockDurationMs: integerFlag("lock-ms", values["lock-ms"], 100),
      stalledIntervalMs: integerFlag("stalled-ms", values["stalled-ms"], 100), cacheVersions: integerFlag("cache-versions", values["cache-versions"], 1),
      tokenDelayMs: integerFlag("token-delay-ms", values["token-delay-ms"], 0),
    };
    await setBackend(text("backend") ?? "auto");
    const log = (line: string) => console.error(line);
    const { startRolloutWorker } = await import("@r1ts/queue");
    const worker = await startRolloutWorker({
      redis: text("redis")!, queue: text("queue"), name: text("name"), builtinPlugins: [r1Rewards], allowedPlugins: (values.plugin as unknown as string[] | undefined) ?? [], baseDir: process.cwd(), log, ...options,
    });
    log(`worker ${worker.name}: backend ${lastBackendSelection()?.chosen ?? text("backend") ?? "auto"}`);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log(`worker ${worker.name}: ${signal}: finishing running jobs, then stopping`);
        void worker.close().finally(resolve);
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });
    log(`worker ${worker.name}: stopped after ${worker.done.generate} generation and ${worker.done.score} scoring jobs`);
    return 0;
  },
};
