/**
 * The `task-data` stage: a dataset of the task's training problems with written-out completions, in a
 * mix of styles. It stands in for data written by people: R1's cold-start set of readable long chains of
 * thought (the `readable` style) or a pre-training corpus (a mix of all styles).
 *   worked    R1 format, the working in <think> (column addition for a+b; the solution for Countdown)
 *   readable  R1 format, the working with its carries noted, and a summary sentence at the end
 *   direct    R1 format, no working
 *   plain     no tags: " The answer is 132."
 * The text only uses letters that occur in the R1-Zero template, so the bundled tokenizer encodes it.
 */
import { z } from "zod";
import { Generator } from "../../random/generator.ts";
import type { ArithmeticProblem, ArithmeticTask } from "../../tasks/arithmetic.ts";
import type { Problem } from "../../tasks/task.ts";
import { r1Completion } from "../../tasks/template.ts";
import { StageError } from "../errors.ts";
import { distinctTrainProblems } from "../../tasks/task-factory.ts";
import { writeJsonl } from "../../sampling/rejection-sample.ts";
import { defineStage } from "../stage.ts";

export const TASK_DATA_STYLES = ["worked", "readable", "direct", "plain"] as const;
export type TaskDataStyle = (typeof TASK_DATA_STYLES)[number];

export const taskDataStageOptions = z.object({
  /** Rows to write (each a distinct training problem when `distinct`). */
  count: z.number().int().min(1),
  /** Relative shares of the styles (at least one positive). */
  styles: z.partialRecord(z.enum(TASK_DATA_STYLES), z.number().min(0)).default({ readable: 1 })
    .refine((s) => Object.values(s).some((w) => (w ?? 0) > 0), { message: "give at least one style a positive share" }),
  /** Draw distinct problems (default true; false repeats problems, for large corpora). */
  distinct: z.boolean().default(true),
  seed: z.number().int().min(0).optional(),
}).strict();

export const taskDataStage = defineStage({
  name: "task-data",
  description: "write the task's training problems with worked / readable / direct / plain completions as a dataset",
  options: taskDataStageOptions,
  outputs: { dataset: { kind: "dataset", description: "rows: prompt, completion, question, answer, style" } },
  needs: { task: true },
  async run(ctx, o) {
    const task = ctx.task();
    const rng = new Generator(o.seed ?? ctx.seed);
    const problems = o.distinct ? distinctTrainProblems(() => task.sampleTrain(rng), o.count) : Array.from({ length: o.count }, () => task.sampleTrain(rng));
    if (problems.length < o.count) ctx.log(`only ${problems.length} distinct training problems found (asked for ${o.count})`);
    const styles = Object.entries(o.styles).filter(([, w]) => (w ?? 0) > 0) as [TaskDataStyle, number][];
    const total = styles.reduce((a, [, w]) => a + w, 0);
    const pick = (): TaskDataStyle => {
      let u = rng.uniform() * total;
      for (const [s, w] of styles) if ((u -= w) < 0) return s;
      return styles[styles.length - 1][0];
    };
    const rows = problems.map((p) => {
      const style = pick();
      const completion = styledCompletion(task, p, style);
      if (completion === undefined) throw new StageError(ctx.id, ctx.stage, `style "${style}" needs worked solutions, which task ${task.name} does not have`);
      return { prompt: p.prompt, completion, question: p.question, answer: p.answer, style };
    });
    await writeJsonl(ctx.outputPath("dataset"), rows);
    const counts = Object.fromEntries(TASK_DATA_STYLES.map((s) => [s, rows.filter((r) => r.style === s).length]));
    return { metrics: { rows: rows.length, ...counts }, note: `${rows.length} rows (${styles.map(([s]) => `${s} ${counts[s]}`).join(", ")})` };
  },
});

/** The completion of `p` in `style`; undefined when the task has no worked solution for it. */
export function styledCompletion(task: { name: string }, p: Problem, style: TaskDataStyle): string | undefined {
  const solution = typeof p.columns.solution === "string" ? p.columns.solution : undefined;
  const working = "working" in task ? (task as ArithmeticTask).working(p as ArithmeticProblem) : solution !== undefined ? `${solution} = ${p.answer}` : undefined;
  // Countdown answers with the equation; arithmetic with the number.
  const answer = solution ?? p.answer;
  if (style === "plain") return ` The answer is ${answer}.`;
  if (style === "direct") return r1Completion("I add the numbers.", answer);
  if (working === undefined) return undefined;
  if (style === "worked") return r1Completion(working, answer);
  const explained = working.split("\n").map((line) => {
    const sum = /=(\d+)$/.exec(line);
    return sum && Number(sum[1]) >= 10 && "working" in task ? `${line}, carry 1` : line;
  });
  return r1Completion([...explained, `The answer is ${answer}.`].join("\n"), answer);
}
