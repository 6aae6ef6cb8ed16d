/**
 * `r1ts pipeline run <config>`: runs a multi-stage pipeline (a config with a `stages:` list) into its run
 * directory; finished stages are skipped and an interrupted stage resumes from its newest checkpoint.
 * `r1ts pipeline check <config>` validates it without running anything; `r1ts pipeline stages` lists the
 * registered stages with their inputs and outputs. `r1ts run <config>` hands pipeline configs to `run`.
 */
import path from "node:path";
import {
  type ArtifactKind, type PipelineConfig, type PipelineSummary, asPipelineStage, builtinStagesPlugin, configBaseDir,
  createRunContext, loadPipelineConfig, planPipeline, runPipeline, shortenPipeline,
} from "@r1ts/core";
import { r1Rewards } from "@r1ts/rewards";
import { rolloutPlugins } from "./rollout-plugins.ts";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { resolveBundle } from "./bundles.ts";
import { parseFlags } from "./flags.ts";
import { progressPrinter } from "./progress.ts";

const usage = `usage: r1ts pipeline run <config.yaml|json> [--quick] [--fresh] [--run-dir DIR] [--json]
       r1ts pipeline check <config.yaml|json>
       r1ts pipeline stages [--config <file>]

run     Runs the stages in order into the run directory (<output>/<name>, or --run-dir). Every stage's
        options and inputs are checked first; nothing runs if one is wrong. Running it again skips the
        stages already completed with the same config and inputs, and resumes an interrupted stage from
        its newest checkpoint. Prints the held-out accuracy and format rate after each stage, and writes
        summary.md / summary.json. (r1ts run <config> does the same for configs with a stages: list.)
  --quick        the same stages with every length capped (2 steps, 16 held-out problems, ...): a smoke test
  --fresh        empty the run directory first, so every stage runs again
  --run-dir DIR  write here instead of <output>/<name>
  --json         print summary.json as the last line of stdout
check   Validates the config against the registered stages (built-in and its plugins') and prints the plan.
stages  Lists the registered stages with their inputs and outputs. See docs/pipeline.md.`;

/** Artifact paths: `builtin:` model names and paths relative to the config file. */
export function artifactResolver(baseDir: string): (p: string, kind: ArtifactKind) => string {
  return (p, kind) => (kind === "model" ? resolveBundle(p, baseDir) : path.resolve(baseDir, p));
}

export interface PipelineFileOptions {
  quick?: boolean;
  fresh?: boolean;
  runDir?: string;
  json?: boolean;
}

async function readPipeline(file: string, quick = false): Promise<PipelineConfig> {
  const config = await loadPipelineConfig(file);
  return quick ? shortenPipeline(config) : config;
}

/** Runs a pipeline config file the way `r1ts pipeline run` does. */
export async function runPipelineFile(file: string, options: PipelineFileOptions = {}): Promise<PipelineSummary> {
  const config = await readPipeline(file, options.quick);
  const baseDir = configBaseDir(file);
  const runDir = options.runDir ?? (options.quick && !config.runDir ? path.join(config.output, `${config.name}-quick`) : undefined);
  const summary = await runPipeline(config, {
    baseDir, builtins: [r1Rewards, ...(await rolloutPlugins(config))], resolvePath: artifactResolver(baseDir), runDir, fresh: options.fresh, source: file,
    log: (line) => console.error(line), onProgress: progressPrinter({ correctness: config.eval.correctness, showStage: true }),
  });
  console.error(`\n${summary.stages.length} stages in ${summary.seconds.toFixed(0)} s on the ${summary.backend} backend; run directory: ${summary.runDir} (summary.md, summary.json, stages/<id>/)`);
  if (options.json) console.log(JSON.stringify(summary));
  return summary;
}

async function check(file: string): Promise<void> {
  const config = await readPipeline(file);
  const baseDir = configBaseDir(file);
  const context = await createRunContext({ plugins: config.plugins, builtins: [builtinStagesPlugin, r1Rewards, ...(await rolloutPlugins(config))], baseDir, config });
  const plan = planPipeline(config, context, { resolvePath: artifactResolver(baseDir), source: file });
  console.log(`${file}: ${plan.stages.length} stages, ready to run`);
  for (const s of plan.stages) {
    const inputs = Object.entries(s.inputs).map(([n, i]) => `${n} <- ${i.source.type === "artifact" ? `artifacts.${i.source.name}` : `${i.source.stageId}.${i.source.output}`}`);
    console.log(`  ${s.index + 1}. ${s.id} (${s.stage.name})${inputs.length ? `  ${inputs.join(", ")}` : ""}${s.eval ? "  [evaluated after]" : ""}`);
  }
}

async function listStages(configFile: string | undefined): Promise<void> {
  const config = configFile ? await readPipeline(configFile) : undefined;
  const context = await createRunContext({ plugins: config?.plugins ?? [], builtins: [builtinStagesPlugin, r1Rewards], baseDir: configFile ? configBaseDir(configFile) : process.cwd() });
  for (const stage of [...context.stages.values()].map(asPipelineStage).sort((a, b) => a.name.localeCompare(b.name))) {
    const io = (specs: Record<string, { kind: string; optional?: boolean }>) => Object.entries(specs).map(([n, s]) => `${n}${s.optional ? "?" : ""}: ${s.kind}`).join(", ") || "none";
    console.log(`${stage.name}\n  ${stage.description}\n  inputs: ${io(stage.inputs)}\n  outputs: ${io(stage.outputs)}`);
  }
}

export const pipelineCommand: Command = {
  name: "pipeline",
  summary: "run a multi-stage pipeline (R1 recipe, distillation); check it; list the stages",
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals: files } = parseFlags(rest, usage, {
      quick: { type: "boolean", default: false }, fresh: { type: "boolean", default: false }, "run-dir": { type: "string" }, json: { type: "boolean", default: false }, config: { type: "string" },
    }, true);
    if (sub === "stages") {
      if (files.length > 0) throw new UsageError(`stages takes no file (use --config)\n\n${usage}`);
      await listStages(values.config as string | undefined);
      return 0;
    }
    if (sub !== "run" && sub !== "check") throw new UsageError(`expected run, check or stages${sub ? `, got "${sub}"` : ""}\n\n${usage}`);
    if (files.length !== 1) throw new UsageError(`expected exactly one config file\n\n${usage}`);
    if (sub === "check") await check(files[0]);
    else await runPipelineFile(files[0], { quick: values.quick as boolean, fresh: values.fresh as boolean, runDir: values["run-dir"] as string | undefined, json: values.json as boolean });
    return 0;
  },
};
