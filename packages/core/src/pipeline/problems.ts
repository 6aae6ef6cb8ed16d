/** The pipeline's task: the same task options as a run config (`task: { name: arithmetic, ... }`). */
import type { z } from "zod";
import type { taskSchema } from "../config/run-config-schema.ts";
import { arithmeticTask } from "../tasks/arithmetic.ts";
import { countdownTask } from "../tasks/countdown.ts";
import type { Task } from "../tasks/task.ts";

export type TaskConfig = z.output<typeof taskSchema>;

export function createTask(config: TaskConfig): Task {
  return config.name === "arithmetic" ? arithmeticTask(config) : countdownTask(config);
}

/** `count` distinct training problems (never held out), drawn in order with `rng`-like seeding. */
export function distinctTrainProblems<P extends { id: string }>(sample: () => P, count: number): P[] {
  const seen = new Map<string, P>();
  for (let tries = 0; seen.size < count; tries++) {
    if (tries > count * 1000 + 10_000) break;
    const p = sample();
    if (!seen.has(p.id)) seen.set(p.id, p);
  }
  return [...seen.values()];
}
