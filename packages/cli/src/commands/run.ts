/**
 * `r1ts run <config.yaml|json>`: runs what the config describes (GRPO or SFT, backend, model, task or
 * data, rewards) into a run directory. A bad config fails before any work starts. `--resume DIR`
 * continues a run from its newest checkpoint, exactly as if it had never stopped.
 * Also the helpers `r1ts demo` shares: built-in model names, the reward runner, the progress line.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import "@r1ts/backend-tfjs";
import "@r1ts/backend-onnx"; // registers "onnx" (picked by auto: captured steps on ONNX Runtime) and "onnx-cuda"
import "@r1ts/backend-webgpu"; // registers "webgpu", so `--backend webgpu` (and demo) can use it
import {
  type RewardRunner, type RunConfig, type TrainerHooks, type RunProgress, type RunSummary, configBaseDir, createRunContext, loadRunConfig, runJob, parseRunConfig,
} from "@r1ts/core";
import { r1Rewards } from "@r1ts/rewards";
import { isPipelineConfigFile } from "@r1ts/core";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";

/** Models shipped with the CLI, by the name a config uses after "builtin:". */
export const ASSETS_DIR = fileURLToPath(new URL("../../assets/", import.meta.url));

export function resolveBundle(spec: string, baseDir = process.cwd()): string {
  if (spec.startsWith("builtin:")) {
    const dir = path.join(ASSETS_DIR, spec.slice("builtin:".length));
    if (!existsSync(path.join(dir, "config.json"))) throw new UsageError(`unknown built-in model "${spec}" (no ${dir}/config.json)`);
    return dir;
  }
  return path.resolve(baseDir, spec);
}

/** The run context of a config: its plugins loaded (and @r1ts/rewards), their hook taps, the reward runner. */
export async function runContext(config: RunConfig, baseDir: string): Promise<{ rewards: RewardRunner | undefined; hooks: TrainerHooks }> {
  const warn = (m: string) => console.error(`warning: ${m}`);
  const ctx = await createRunContext({ plugins: config.plugins, builtins: [r1Rewards], baseDir, config, warn });
  return { rewards: config.rewards.length === 0 ? undefined : ctx.createRewardRunner(config.rewards, { warn }), hooks: ctx.hooks };
}

/** The config's rewards, resolved among the built-in ones (@r1ts/rewards) and its plugins'. */
export async function rewardRunner(config: RunConfig, baseDir: string): Promise<RewardRunner | undefined> {
  return (await runContext(config, baseDir)).rewards;
}

const bar = (fraction: number, width = 24): string => {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return "#".repeat(full) + "-".repeat(width - full);
};
const clock = (s: number): string => (Number.isFinite(s) ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : "?");

/** One progress line per step: step, reward, accuracy (of the rollouts), time left. Redrawn in place on a terminal. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: RunProgress) => void {
  return ({ step, steps, metrics, elapsedSeconds, etaSeconds }) => {
    const acc = metrics["rewards/accuracy/mean"] ?? metrics["rewards/countdown/mean"];
    const parts = [
      `step ${String(step + 1).padStart(String(steps).length)}/${steps} [${bar((step + 1) / steps)}]`,
      metrics.reward !== undefined ? `reward ${metrics.reward.toFixed(3)}` : `loss ${metrics.loss?.toFixed(4)}`,
      acc !== undefined ? `accuracy ${(acc * 100).toFixed(1)}%` : "",
      `elapsed ${clock(elapsedSeconds)}`,
      `left ${clock(etaSeconds)}`,
    ].filter(Boolean);
    const line = parts.join("  ");
    if (stream.isTTY) stream.write(`\r${line}\x1b[K${step + 1 === steps ? "\n" : ""}`);
    else stream.write(`${line}\n`);
  };
}

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

/** Runs a parsed config with progress, prints the table; `json` prints the summary as the last stdout line. */
export async function runConfigured(config: RunConfig, { baseDir, json, resumeDir }: { baseDir: string; json: boolean; resumeDir?: string }): Promise<RunSummary> {
  const { rewards, hooks } = await runContext(config, baseDir);
  const log = (line: string) => console.error(line);
  const summary = await runJob(config, { rewards, hooks, baseDir, resumeDir, resolveBundle: (spec) => resolveBundle(spec, baseDir), log, onProgress: progressPrinter() });
  console.error("");
  console.error(summaryTable(summary));
  console.error(`\n${summary.steps} steps in ${summary.seconds.toFixed(0)} s on the ${summary.backend} backend, peak memory ${summary.peakRssMiB} MiB`);
  console.error(`run directory: ${summary.runDir} (config.json, metrics.jsonl, samples.jsonl, evals.jsonl, checkpoints/, summary.json, report.html)`);
  if (json) console.log(JSON.stringify(summary));
  return summary;
}

const usage = `usage: r1ts run <config.yaml|config.json> [--resume RUN_DIR] [--json]

Runs what the config describes: GRPO or SFT on a model bundle, with the chosen backend, task or data,
and rewards, into a run directory (config.json, metrics.jsonl, samples.jsonl, evals.jsonl,
checkpoints/, summary.json, report.html). A bad config fails before any work starts, naming the field
path, what was expected and what was given. See docs/cli.md for every field.

  --resume RUN_DIR  continue that run from its newest checkpoint (same metrics as an unbroken run)
  --json            print summary.json as the last line of stdout`;

export const runCommand: Command = {
  name: "run",
  summary: "run a training config (GRPO or SFT) into a run directory",
  usage,
  async run(args) {
    // A config with a `stages:` list is a pipeline (docs/pipeline.md): `r1ts pipeline run` runs it.
    const pipelineFile = args.find((a) => !a.startsWith("-"));
    if (pipelineFile !== undefined && (await isPipelineConfigFile(pipelineFile))) return (await import("./pipeline.ts")).pipelineCommand.run(["run", ...args]);
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { resume: { type: "string" }, json: { type: "boolean", default: false } } });
    } catch (error) {
      throw new UsageError(`${(error as Error).message}\n\n${usage}`);
    }
    const [file, ...extra] = parsed.positionals;
    if (file === undefined || extra.length > 0) throw new UsageError(`expected exactly one config file\n\n${usage}`);
    const config = await loadRunConfig(file);
    const baseDir = configBaseDir(file);
    // Resolve the model path now so a missing model fails before any work starts.
    resolveBundle(config.model.bundle, baseDir);
    await runConfigured(config, { baseDir, json: parsed.values.json!, resumeDir: parsed.values.resume });
    return 0;
  },
};

export { parseRunConfig };
