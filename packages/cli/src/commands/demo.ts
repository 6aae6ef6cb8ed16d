/**
 * `r1ts demo`: the main job. An R1-Zero run anyone can start with one command: GRPO with accuracy +
 * format rewards (docs/r1-recipe.md) from the bundled base model, on held-out-split arithmetic, on the
 * best backend this machine has. The run is packages/cli/assets/demo.yaml with the task the base model
 * was pre-trained on; flags override a few fields. Prints a progress line per step, then a before/after
 * table and the run directory. `--json` prints summary.json as the last line of stdout.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { type RunConfigInput, modelSourcePath, parseRunConfig, readConfigFile } from "@r1ts/core";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { ASSETS_DIR, resolveBundle } from "./bundles.ts";
import { integerFlag, parseFlags } from "./flags.ts";
import { runConfigured } from "./run.ts";

/** The demo's run config: assets/demo.yaml, the base model's task, and the overrides. */
export async function demoConfig(overrides: { steps?: number; backend?: string; seed?: number; out?: string; heldOut?: number } = {}): Promise<RunConfigInput> {
  const config = (await readConfigFile(path.join(ASSETS_DIR, "demo.yaml"))) as RunConfigInput & { grpo: Record<string, unknown>; eval: Record<string, unknown> };
  const bundleDir = resolveBundle(modelSourcePath(config.model));
  // The task options the base model was pre-trained with: the same held-out split, never seen in pre-training.
  const bundleTask = (JSON.parse(readFileSync(path.join(bundleDir, "config.json"), "utf8")) as { task: RunConfigInput["task"] }).task;
  return {
    ...config,
    seed: overrides.seed ?? config.seed,
    backend: overrides.backend ?? config.backend,
    runDir: overrides.out,
    task: bundleTask,
    grpo: { ...config.grpo, steps: overrides.steps ?? config.grpo.steps } as RunConfigInput["grpo"],
    eval: { ...config.eval, problems: overrides.heldOut ?? config.eval.problems },
  };
}

const usage = `usage: r1ts demo [--steps N] [--backend NAME] [--seed N] [--held-out N] [--out DIR] [--json]

An R1-Zero run in minutes on a laptop: GRPO with accuracy + format rewards from the bundled base
model (packages/cli/assets/base-arithmetic, pre-trained by examples/pretrain-base.ts) on multi-digit
addition, evaluated on held-out problems before and after. Uses the best backend that starts here
(say --backend reference|tfjs to choose). Writes runs/demo-<time>/ (or --out DIR). The run's config
is packages/cli/assets/demo.yaml.

  --steps N      GRPO steps (default 60)
  --backend X    backend name or auto (default auto)
  --seed N       seed (default 0): the same seed gives the same run on the same backend
  --held-out N   held-out problems evaluated before and after (default 200)
  --out DIR      run directory
  --json         print summary.json as the last line of stdout`;

export const demoCommand: Command = {
  name: "demo",
  summary: "R1-Zero in minutes: GRPO on the bundled base model, before/after held-out accuracy",
  usage,
  async run(args) {
    const { values } = parseFlags(args, usage, {
      steps: { type: "string" }, backend: { type: "string" }, seed: { type: "string" }, "held-out": { type: "string" }, out: { type: "string" }, json: { type: "boolean", default: false },
    });
    const config = parseRunConfig(await demoConfig({
      steps: integerFlag("steps", values.steps, 1), seed: integerFlag("seed", values.seed, 0), heldOut: integerFlag("held-out", values["held-out"], 0),
      backend: values.backend as string | undefined, out: values.out as string | undefined,
    }), "r1ts demo");
    if (!config.grpo) throw new UsageError("assets/demo.yaml must be a GRPO run");
    console.error(`r1ts demo: GRPO (${config.rewards.map((r) => r.name).join(" + ")} rewards) on the bundled base model, ${config.grpo.steps} steps of ${config.grpo.promptsPerStep} prompts x ${config.grpo.groupSize} completions`);
    await runConfigured(config, { baseDir: process.cwd(), json: values.json as boolean });
    return 0;
  },
};
