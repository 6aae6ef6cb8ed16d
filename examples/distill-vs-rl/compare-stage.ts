/**
 * A pipeline stage from a plugin (listed in pipeline.yaml as `plugins: ["./compare-stage.ts"]`): the table
 * of R1's Table 6 at toy scale. It takes the four evaluation reports as inputs and adds what each model
 * cost: the tokens generated and trained on, and the seconds, of the stages that made it (named in
 * `cost`; read from their records). It writes `table.md` and `table.json` in its folder.
 */
import { join } from "node:path";
import { type EvalReport, type StageRecord, definePlugin, defineStage, writeFileAtomic, z } from "@r1ts/core";

const rowKeys = ["base", "rl", "distilled", "teacher"] as const;
type RowKey = (typeof rowKeys)[number];

export const compareOptions = z.object({
  title: z.string().default("Distillation vs RL on the small model"),
  /** Row labels. */
  labels: z.object({
    base: z.string().default("student base"),
    rl: z.string().default("student + GRPO (RL only)"),
    distilled: z.string().default("student distilled from the teacher"),
    teacher: z.string().default("teacher"),
  }).strict().default({ base: "student base", rl: "student + GRPO (RL only)", distilled: "student distilled from the teacher", teacher: "teacher" }),
  /** For each row, the ids of the stages whose tokens and seconds it cost. */
  cost: z.partialRecord(z.enum(rowKeys), z.array(z.string())).default({}),
}).strict();

export interface CompareRow {
  key: RowKey;
  label: string;
  accuracy: number | null;
  passAtK: Record<string, number>;
  format: number | null;
  meanLength: number;
  tokensGenerated: number;
  tokensTrained: number;
  seconds: number;
  stages: string[];
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : `${(v * 100).toFixed(1)}%`);
const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n)));

export function compareMarkdown(title: string, rows: readonly CompareRow[], evalNote: string): string {
  const ks = [...new Set(rows.flatMap((r) => Object.keys(r.passAtK)))].filter((k) => k !== "1").sort((a, b) => Number(a) - Number(b));
  const head = ["model", "held-out accuracy (pass@1)", ...ks.map((k) => `pass@${k}`), "format", "mean length", "tokens generated", "tokens trained", "seconds", "stages counted"];
  const lines = rows.map((r) => [
    r.label, pct(r.accuracy), ...ks.map((k) => pct(r.passAtK[k])), pct(r.format), r.meanLength.toFixed(1), count(r.tokensGenerated), count(r.tokensTrained), r.seconds.toFixed(0), r.stages.join(", ") || "(none)",
  ]);
  return [
    `# ${title}`,
    "",
    evalNote,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...lines.map((l) => `| ${l.join(" | ")} |`),
    "",
  ].join("\n");
}

export const compareStage = defineStage({
  name: "distill-vs-rl-table",
  description: "R1 Table 6 at toy scale: held-out accuracy, pass@k and cost of base, RL and distilled students and the teacher",
  version: "1",
  options: compareOptions,
  inputs: Object.fromEntries(rowKeys.map((k) => [k, { kind: "report" as const, description: `the eval report of the ${k} model` }])),
  outputs: { table: { kind: "report", description: "the rows as JSON (table.md beside it)" } },
  async run(ctx, o) {
    const { readFile } = await import("node:fs/promises");
    const rows: CompareRow[] = [];
    let evalNote = "";
    for (const key of rowKeys) {
      const report = JSON.parse(await readFile(ctx.inputs[key].path, "utf8")) as EvalReport;
      evalNote ||= `Held-out: ${report.problems} problems x ${report.samplesPerProblem} samples at temperature ${report.temperature}; accuracy is pass@1 averaged over the samples.`;
      const stages = o.cost[key] ?? [];
      const records = stages.map((id) => {
        const r = ctx.earlierStage(id);
        if (!r) throw new Error(`cost.${key} names stage "${id}", which has not run before this one`);
        return r;
      });
      const sum = (f: (r: StageRecord) => number) => records.reduce((a, r) => a + f(r), 0);
      rows.push({
        key, label: o.labels[key], accuracy: report.accuracy, passAtK: report.passAtK, format: report.format, meanLength: report.meanLength,
        tokensGenerated: sum((r) => r.tokens.generated), tokensTrained: sum((r) => r.tokens.trained), seconds: sum((r) => r.seconds), stages,
      });
    }
    const markdown = compareMarkdown(o.title, rows, evalNote);
    await writeFileAtomic(join(ctx.dir, "table.md"), markdown);
    await writeFileAtomic(ctx.outputPath("table"), JSON.stringify(rows, null, 2) + "\n");
    ctx.log(`\n${markdown}`);
    const acc = (k: RowKey) => rows.find((r) => r.key === k)?.accuracy ?? null;
    return { metrics: { rl: acc("rl"), distilled: acc("distilled") }, note: `distilled ${pct(acc("distilled"))} vs RL ${pct(acc("rl"))} (table.md)` };
  },
});

export default definePlugin({
  name: "distill-vs-rl-table",
  version: "1.0.0",
  coreRange: "^0.1.0",
  description: "the distill-vs-rl comparison table as a pipeline stage",
  setup(api) {
    api.registerStage(compareStage);
  },
});
