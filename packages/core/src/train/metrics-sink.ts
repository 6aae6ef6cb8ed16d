/**
 * Where a run's logged metrics go besides its run directory: loggers (a console table, TensorBoard-like
 * files, a tracking server). A sink receives every onLog event of every trainer of the run, tagged with
 * the stage; plugins add sinks through the run's container. `close` runs when the stage's trainer ends.
 */
import type { LogEvent } from "./hooks/events.ts";

export interface MetricsSink {
  readonly name: string;
  log(event: LogEvent): void | Promise<void>;
  close?(): void | Promise<void>;
}
