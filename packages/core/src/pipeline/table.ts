/** The per-stage table of a pipeline: held-out accuracy and format rate after each stage, and what it cost. */
import type { PipelineSummary } from "./runner.ts";
import type { EvalReport } from "../eval/eval-report.ts";

export interface TableRow {
  stage: string;
  kind: string;
  status: string;
  accuracy: string;
  passAtK: string;
  format: string;
  length: string;
  tokens: string;
  seconds: string;
  note: string;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? "" : `${(v * 100).toFixed(1)}%`);
const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n)));

function evalCells(report: EvalReport | undefined): Pick<TableRow, "accuracy" | "passAtK" | "format" | "length"> {
  if (!report) return { accuracy: "", passAtK: "", format: "", length: "" };
  const passK = Object.entries(report.passAtK).filter(([k]) => k !== "1").map(([k, v]) => `@${k} ${pct(v)}`).join(" ");
  return { accuracy: pct(report.accuracy), passAtK: passK, format: pct(report.format), length: report.meanLength.toFixed(1) };
}

export function pipelineTableRows(summary: PipelineSummary): TableRow[] {
  const rows: TableRow[] = summary.inputs.filter((i) => i.eval).map((i) => ({
    stage: i.name, kind: "input", status: "", ...evalCells(i.eval), tokens: "", seconds: "", note: "the model the pipeline starts from",
  }));
  for (const s of summary.stages) {
    const t = s.record.tokens;
    rows.push({
      stage: s.id,
      kind: s.stage,
      status: s.status,
      ...evalCells(s.record.eval),
      tokens: t.generated + t.trained > 0 ? `${count(t.generated)} / ${count(t.trained)}` : "",
      seconds: s.record.seconds.toFixed(0),
      note: s.record.note ?? "",
    });
  }
  return rows;
}

const HEADERS: [keyof TableRow, string][] = [
  ["stage", "stage"], ["kind", "kind"], ["status", "status"], ["accuracy", "held-out acc"], ["passAtK", "pass@k"], ["format", "format"],
  ["length", "length"], ["tokens", "tokens gen/train"], ["seconds", "s"], ["note", "note"],
];

/** Columns that are empty in every row are left out. */
function columns(rows: TableRow[]): [keyof TableRow, string][] {
  return HEADERS.filter(([key]) => key === "stage" || rows.some((r) => r[key] !== ""));
}

/** Aligned plain-text table for the terminal. */
export function formatPipelineTable(summary: PipelineSummary): string {
  const rows = pipelineTableRows(summary);
  const cols = columns(rows);
  const widths = cols.map(([key, title]) => Math.max(title.length, ...rows.map((r) => r[key].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(cols.map(([, t]) => t)), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map(([k]) => r[k])))].join("\n");
}

/** The same table in Markdown, with a heading naming the run. */
export function pipelineTableMarkdown(summary: PipelineSummary): string {
  const rows = pipelineTableRows(summary);
  const cols = columns(rows);
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `# Pipeline ${summary.name}`,
    "",
    `Backend ${summary.backend}; ${summary.seconds.toFixed(0)} s in all. Held-out accuracy is pass@1 on the task's held-out problems after each stage.`,
    "",
    `| ${cols.map(([, t]) => t).join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${cols.map(([k]) => esc(r[k])).join(" | ")} |`),
    "",
  ].join("\n");
}
