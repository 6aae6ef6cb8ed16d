/**
 * `r1ts run <config.yaml|json>`: runs what the config describes into a run directory. A run config (GRPO
 * or SFT on a model bundle) and a pipeline config (a `stages:` list) both go through the pipeline runner:
 * a run config is a one-stage pipeline. A bad config fails before any work starts. `--resume DIR`
 * continues a run from its newest valid checkpoint, exactly as if it had never stopped.
 */
import { type RunConfig, type RunSummary, configBaseDir, loadConfig, modelSourcePath, runJob } from "@r1ts/core";
import { r1Rewards } from "@r1ts/rewards";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { resolveBundle } from "./bundles.ts";
import { parseFlags } from "./flags.ts";
import { graphReport } from "./graph-report.ts";
import { progressPrinter } from "./progress.ts";
import { rolloutPlugins } from "./rollout-plugins.ts";

/** The before/after table printed at the end of a run. */
export function summaryTable(s: RunSummary): string {
  const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(1)}%`);
  const num = (v: number | null) => (v === null ? "n/a" : v.toFixed(1));
  const rows: [string, string, string][] = [
    ["held-out accuracy", pct(s.heldOutAccuracyBefore), pct(s.heldOutAccuracyAfter)],
    ["format rate", pct(s.formatRateBefore), pct(s.formatRateAfter)],
    ["mean length (tokens)", num(s.meanLengthBefore), num(s.meanLengthAfter)],
    ["reward (first/last tenth)", pct(s.rewardFirst), pct(s.rewardLast)],
  ];
  if (s.evalLossBefore !== undefined) rows.push(["held-out loss", num(s.evalLossBefore ?? null), num(s.evalLossAfter ?? null)]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [`${"".padEnd(w)}  ${"before".padStart(9)}  ${"after".padStart(9)}`, ...rows.map(([a, b, c]) => `${a.padEnd(w)}  ${b.padStart(9)}  ${c.padStart(9)}`)].join("\n");
}

/** Runs a parsed run config with progress, prints the table; `json` prints the summary as the last stdout line. */
export async function runConfigured(config: RunConfig, { baseDir, json, resumeDir }: { baseDir: string; json: boolean; resumeDir?: string }): Promise<RunSummary> {
  // The model must exist before any work starts (and before a backend loads).
  resolveBundle(modelSourcePath(config.model), baseDir);
  const summary = await runJob(config, {
    builtins: [r1Rewards, ...(await rolloutPlugins(config))], baseDir, resumeDir, resolveBundle: (spec) => resolveBundle(spec, baseDir),
    log: (line) => console.error(line), onProgress: progressPrinter({ correctness: config.eval.correctness }),
  });
  console.error("");
  console.error(summaryTable(summary));
  console.error(`\n${summary.steps} steps in ${summary.seconds.toFixed(0)} s on the ${summary.backend} backend, peak memory ${summary.peakRssMiB} MiB`);
  const graphs = graphReport(summary.seconds);
  if (graphs) console.error(graphs);
  console.error(`run directory: ${summary.runDir} (config.json, metrics.jsonl, samples.jsonl, evals.jsonl, checkpoints/, summary.json, report.html)`);
  if (json) console.log(JSON.stringify(summary));
  return summary;
}

const usage = `usage: r1ts run <config.yaml|config.json> [--resume RUN_DIR] [--json]
       r1ts run <pipeline.yaml> [--quick] [--fresh] [--run-dir DIR] [--json]

Runs what the config describes into a run directory. A run config trains one model (GRPO or SFT on a
model bundle, with the chosen backend, task or data, and rewards): config.json, metrics.jsonl,
samples.jsonl, evals.jsonl, checkpoints/, summary.json, report.html. A pipeline config (a stages:
list) runs its stages (see r1ts pipeline --help). A bad config fails before any work starts, naming
the field path, what was expected and what was given. See docs/cli.md for every field.

  --resume RUN_DIR  continue that run from its newest valid checkpoint (same metrics as an unbroken run),
                    or from step 0 when it was stopped before its first checkpoint
  --json            print summary.json as the last line of stdout
  --quick, --fresh, --run-dir   pipelines only (see r1ts pipeline --help)`;

export const runCommand: Command = {
  name: "run",
  summary: "run a training config (GRPO, SFT) or a pipeline into a run directory",
  usage,
  async run(args) {
    const { values, positionals } = parseFlags(args, usage, {
      resume: { type: "string" }, json: { type: "boolean", default: false }, quick: { type: "boolean", default: false }, fresh: { type: "boolean", default: false }, "run-dir": { type: "string" },
    }, true);
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError(`expected exactly one config file\n\n${usage}`);
    const loaded = await loadConfig(file);
    if (loaded.kind === "pipeline") {
      if (values.resume !== undefined) throw new UsageError("--resume is for run configs; running a pipeline again resumes its interrupted stage by itself");
      const { runPipelineFile } = await import("./pipeline.ts");
      await runPipelineFile(file, { quick: values.quick as boolean, fresh: values.fresh as boolean, runDir: values["run-dir"] as string | undefined, json: values.json as boolean });
      return 0;
    }
    if (values.quick || values.fresh || values["run-dir"] !== undefined) throw new UsageError(`--quick, --fresh and --run-dir are for pipeline configs; ${file} is a run config`);
    await runConfigured(loaded.config, { baseDir: configBaseDir(file), json: values.json as boolean, resumeDir: values.resume as string | undefined });
    return 0;
  },
};
