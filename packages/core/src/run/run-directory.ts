/**
 * One directory per run:
 *   config.json        the resolved config (every default filled in)
 *   metrics.jsonl      one JSON line per step (the trainer's metrics)
 *   evals.jsonl        one line per held-out evaluation (before, periodic, after)
 *   samples.jsonl      sample completions, with their step and reward
 *   checkpoints/       step-N checkpoints (safetensors, written atomically)
 *   summary.json       the run's outcome in a few numbers
 *   report.html        a self-contained page with the curves
 */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { R1tsError } from "../errors.ts";
import { join } from "node:path";
import type { EvalReport } from "../eval/eval-report.ts";
import { writeFileAtomic } from "../io/atomic-write.ts";
import { checkpointPath } from "../io/checkpoint.ts";

/** When an evaluation ran: on the model a run starts from, during training, or on the trained model. */
export type EvalPhase = "before" | "during" | "after";

/** A line of evals.jsonl: the evaluation's report (without its sample completions) and when it ran. */
export type EvalRow = { step: number; phase: EvalPhase } & Omit<EvalReport, "samples">;

export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  evals: "evals.jsonl",
  samples: "samples.jsonl",
  summary: "summary.json",
  report: "report.html",
} as const;

export class RunDirectory {
  private constructor(readonly path: string) {}

  /** `dir` itself when given, else `<root>/<name>-<YYYYMMDD-HHMMSS>`; created if missing. */
  static async create({ root = "runs", name = "run", dir }: { root?: string; name?: string; dir?: string } = {}): Promise<RunDirectory> {
    const path = dir ?? join(root, `${name}-${timestamp(new Date())}`);
    await mkdir(path, { recursive: true });
    return new RunDirectory(path);
  }

  file(name: keyof typeof RUN_FILES): string {
    return join(this.path, RUN_FILES[name]);
  }

  checkpointDir(step: number): string {
    return checkpointPath(this.path, step);
  }

  async writeConfig(config: unknown): Promise<void> {
    await writeFileAtomic(this.file("config"), JSON.stringify(config, null, 2) + "\n");
  }

  async appendMetrics(row: Record<string, unknown>): Promise<void> {
    await appendFile(this.file("metrics"), jsonLine(row));
  }

  async appendEval(row: Record<string, unknown>): Promise<void> {
    await appendFile(this.file("evals"), jsonLine(row));
  }

  /** Appends an evaluation to evals.jsonl and its sample completions to samples.jsonl. */
  async recordEval(step: number, phase: EvalPhase, report: EvalReport): Promise<void> {
    const { samples, ...rest } = report;
    await this.appendEval({ step, phase, ...rest });
    await this.appendSamples(samples.map((s) => ({ step, phase, prompt: s.question, completion: s.completion, correct: s.correct })));
  }

  async evals(): Promise<EvalRow[]> {
    return (await this.read("evals")) as unknown as EvalRow[];
  }

  async appendSamples(rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length > 0) await appendFile(this.file("samples"), rows.map(jsonLine).join(""));
  }

  async writeSummary(summary: unknown): Promise<void> {
    await writeFileAtomic(this.file("summary"), JSON.stringify(summary, null, 2) + "\n");
  }

  async writeReport(html: string): Promise<void> {
    await writeFileAtomic(this.file("report"), html);
  }

  async read(name: "metrics" | "evals" | "samples"): Promise<Record<string, unknown>[]> {
    return readJsonl(this.file(name));
  }

  /**
   * Drops what a run resumed from the checkpoint of `step` (`step` steps done) writes again: the metrics
   * and training samples of steps >= `step` (0-based step indices), evaluations during training after
   * `step` (an evaluation's step is the number of steps done, and the evaluation at `step` ran before that
   * checkpoint was saved), and the final evaluation. The evaluation of the model the run started from
   * (phase "before") stays. Rewritten atomically.
   */
  async truncateFrom(step: number): Promise<void> {
    const keep = (r: Record<string, unknown>): boolean => {
      if (typeof r.step !== "number" || r.phase === "before") return true;
      if (r.phase === "during") return r.step <= step;
      if (r.phase === "after") return false;
      return r.step < step;
    };
    for (const name of ["metrics", "evals", "samples"] as const) {
      const rows = (await this.read(name)).filter(keep);
      await writeFileAtomic(this.file(name), rows.map(jsonLine).join(""));
    }
  }
}

/** JSON lines; NaN and infinities become null (JSON has no such numbers). */
function jsonLine(row: unknown): string {
  return JSON.stringify(row, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)) + "\n";
}

/**
 * The rows of a JSON Lines log. A last line without its newline is what a process killed while appending
 * leaves: it is dropped when it does not parse. Any other bad line fails with a RunFileError naming it.
 */
export async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  const complete = text.endsWith("\n");
  const rows: Record<string, unknown>[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      rows.push(JSON.parse(line) as Record<string, unknown>);
    } catch (error) {
      if (i === lines.length - 1 && !complete) return;
      throw new RunFileError(`${file}, line ${i + 1}: not valid JSON (${(error as Error).message}); the run directory is damaged: remove the line or start the run afresh`);
    }
  });
  return rows;
}

/** A run directory's file that cannot be read. */
export class RunFileError extends R1tsError {}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
