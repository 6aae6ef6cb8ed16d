/** The prompts a run trains on and the held-out problems it is evaluated on: from a task or a dataset. */
import { dirname, isAbsolute, resolve } from "node:path";
import type { RunConfig } from "../config/run-config-schema.ts";
import { stringColumn } from "../data/jsonl-dataset.ts";
import { readDataset } from "../data/parquet-dataset.ts";
import type { Generator } from "../random/generator.ts";
import { arithmeticTask } from "../tasks/arithmetic.ts";
import { countdownTask } from "../tasks/countdown.ts";
import type { Problem } from "../tasks/task.ts";
import { r1ZeroPrompt } from "../tasks/template.ts";

export interface ProblemSource {
  /** "arithmetic", "countdown", or the data file. */
  name: string;
  sampleTrain(rng: Generator): Problem;
  heldOut: Problem[];
  /** SFT: the training rows with their target completions. */
  completions?: { prompt: string; completion: string }[];
}

export async function problemSource(config: RunConfig, baseDir = "."): Promise<ProblemSource> {
  const heldOutCount = config.eval.problems;
  if (config.task) {
    const task = config.task.name === "arithmetic" ? arithmeticTask(config.task) : countdownTask(config.task);
    return { name: task.name, sampleTrain: (rng) => task.sampleTrain(rng), heldOut: task.heldOut(heldOutCount) };
  }
  const data = config.data!;
  const path = (f: string) => (isAbsolute(f) ? f : resolve(baseDir, f));
  const toProblems = (rows: Record<string, unknown>[], file: string): Problem[] =>
    stringColumn(rows, data.promptColumn, file).map((q, i) => ({
      id: `${file}#${i + 1}`,
      question: q,
      prompt: data.template ? r1ZeroPrompt(q) : q,
      answer: String(rows[i].answer ?? ""),
      columns: rows[i],
    }));
  const trainRows = await readDataset(path(data.train));
  const train = toProblems(trainRows, data.train);
  const evalRows = data.eval ? await readDataset(path(data.eval)) : [];
  const heldOut = data.eval ? toProblems(evalRows, data.eval).slice(0, heldOutCount) : [];
  const completions = config.trainer === "sft" ? stringColumn(trainRows, data.completionColumn, data.train).map((c, i) => ({ prompt: train[i].prompt, completion: c })) : undefined;
  return { name: data.train, sampleTrain: (rng) => train[rng.int(train.length)], heldOut, completions };
}

/** The folder relative paths of a config file are resolved from. */
export const configBaseDir = (file: string | undefined): string => (file ? dirname(resolve(file)) : process.cwd());
