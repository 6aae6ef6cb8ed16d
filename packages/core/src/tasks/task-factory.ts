/**
 * The one task factory: a built-in task from its config, or a task over a dataset's rows (training
 * prompts drawn uniformly from `data.train`, held-out problems the first rows of `data.eval`).
 */
import { isAbsolute, resolve } from "node:path";
import { stringColumn } from "../data/jsonl-dataset.ts";
import { readDataset } from "../data/parquet-dataset.ts";
import { arithmeticTask } from "./arithmetic.ts";
import { countdownTask } from "./countdown.ts";
import type { DataConfig, TaskConfig } from "./task-config.ts";
import { type Problem, type Task, TaskError } from "./task.ts";
import { r1ZeroPrompt } from "./template.ts";

export function createTask(config: TaskConfig): Task {
  return config.name === "arithmetic" ? arithmeticTask(config) : countdownTask(config);
}

/** The task of a run or pipeline config (its `task:` or its `data:`), or undefined when it has neither. */
export async function loadTask(source: { task?: TaskConfig; data?: DataConfig }, baseDir = "."): Promise<Task | undefined> {
  if (source.task) return createTask(source.task);
  if (source.data) return datasetTask(source.data, baseDir);
  return undefined;
}

/** A task over dataset rows: each row a problem with its columns (`answer` is the gold answer). */
export async function datasetTask(data: DataConfig, baseDir = "."): Promise<Task> {
  const path = (f: string) => (isAbsolute(f) ? f : resolve(baseDir, f));
  const toProblems = (rows: Record<string, unknown>[], file: string): Problem[] =>
    stringColumn(rows, data.promptColumn, file).map((q, i) => ({
      id: `${file}#${i + 1}`,
      question: q,
      prompt: data.template ? r1ZeroPrompt(q) : q,
      answer: String(rows[i].answer ?? ""),
      columns: rows[i],
    }));
  const train = toProblems(await readDataset(path(data.train)), data.train);
  if (train.length === 0) throw new TaskError(`dataset ${data.train} has no rows`);
  const heldOut = data.eval ? toProblems(await readDataset(path(data.eval)), data.eval) : [];
  const heldOutIds = new Set(heldOut.map((p) => p.id));
  return {
    name: data.train,
    sampleTrain: (rng) => train[rng.int(train.length)],
    heldOut: (count) => heldOut.slice(0, count),
    isHeldOut: (p) => heldOutIds.has(p.id),
  };
}

/** `count` distinct training problems (never held out), drawn in order with `sample`. */
export function distinctTrainProblems<P extends { id: string }>(sample: () => P, count: number): P[] {
  const seen = new Map<string, P>();
  for (let tries = 0; seen.size < count; tries++) {
    if (tries > count * 1000 + 10_000) break;
    const p = sample();
    if (!seen.has(p.id)) seen.set(p.id, p);
  }
  return [...seen.values()];
}
