/**
 * The one task factory: a built-in task from its config, or a task over a dataset's rows (training
 * prompts drawn uniformly from `data.train`, held-out problems the first rows of `data.eval`). Dataset
 * rows become prompts with gold answers by data/prompt-dataset.ts; chat prompts use the model's chat
 * template, which the caller supplies (`formatter`) when the config asks for it.
 */
import { isAbsolute, resolve } from "node:path";
import { readHfDataset } from "../data/hf-dataset.ts";
import { type ChatFormatter, promptProblems } from "../data/prompt-dataset.ts";
import { arithmeticTask } from "./arithmetic.ts";
import { countdownTask } from "./countdown.ts";
import type { DataConfig, TaskConfig } from "./task-config.ts";
import { type Problem, type Task, TaskError } from "./task.ts";

export interface LoadTaskOptions {
  /** The model's chat template, loaded only when prompts need it (promptFormat chat, or conversations). */
  formatter?: () => Promise<ChatFormatter | undefined>;
}

export function createTask(config: TaskConfig): Task {
  return config.name === "arithmetic" ? arithmeticTask(config) : countdownTask(config);
}

/** The task of a run or pipeline config (its `task:` or its `data:`), or undefined when it has neither. */
export async function loadTask(source: { task?: TaskConfig; data?: DataConfig }, baseDir = ".", options: LoadTaskOptions = {}): Promise<Task | undefined> {
  if (source.task) return createTask(source.task);
  if (source.data) return datasetTask(source.data, baseDir, options);
  return undefined;
}

/** A task over dataset rows: each row a problem with its columns (`answer` is the extracted gold answer). */
export async function datasetTask(data: DataConfig, baseDir = ".", options: LoadTaskOptions = {}): Promise<Task> {
  const path = (f: string) => (isAbsolute(f) ? f : resolve(baseDir, f));
  const toProblems = async (rows: Record<string, unknown>[], source: string): Promise<Problem[]> => {
    const conversational = rows.length > 0 && Array.isArray(rows[0][data.promptColumn ?? ["prompt", "question", "problem"].find((c) => Object.hasOwn(rows[0], c)) ?? "prompt"]);
    const promptFormat = data.promptFormat ?? (conversational ? "chat" : data.template ? "r1-zero" : "raw");
    const formatter = promptFormat === "chat" ? await options.formatter?.() : undefined;
    if (promptFormat === "chat" && !formatter) throw new TaskError(`dataset ${source}: ${conversational ? "conversational prompts need" : "promptFormat chat needs"} the model's chat template (a Hugging Face model with one, as model: { hf: DIR })`);
    return promptProblems(rows, { source, promptColumn: data.promptColumn, answerColumn: data.answerColumn, answerFormat: data.answerFormat, promptFormat, systemPrompt: data.systemPrompt, formatter });
  };
  const read = (file: string, split: string) => readHfDataset(path(file), { split, config: data.subset }).then((d) => d.rows);
  const train = await toProblems(await read(data.train, data.split), data.train);
  if (train.length === 0) throw new TaskError(`dataset ${data.train} has no rows`);
  const heldOutSource = data.eval ?? (data.evalSplit ? data.train : undefined);
  const heldOut = heldOutSource ? await toProblems(await read(heldOutSource, data.evalSplit ?? "test"), data.eval ? data.eval : `${data.train} (${data.evalSplit})`) : [];
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
