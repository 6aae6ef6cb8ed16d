/**
 * `r1ts demo`: the main job. An R1-Zero run anyone can start with one command: GRPO with accuracy +
 * format rewards (REFERENCE §2-3), from the bundled base model, on held-out-split arithmetic, on the best
 * backend this machine has. Prints a progress line per step, then a before/after table and the run
 * directory. `--json` prints summary.json as the last line of stdout.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { type RunConfigInput, parseRunConfig } from "@r1ts/core";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { resolveBundle, runConfigured } from "./run.ts";

/** The demo's run config: every number here is what `r1ts demo` runs with by default. */
export function demoConfig(overrides: { steps?: number; backend?: string; seed?: number; out?: string; heldOut?: number } = {}): RunConfigInput {
  const bundleDir = resolveBundle("builtin:base-arithmetic");
  // The task options the base model was pre-trained with: the same held-out split, never seen in pre-training.
  const bundleTask = (JSON.parse(readFileSync(path.join(bundleDir, "config.json"), "utf8")) as { task: Record<string, unknown> }).task;
  return {
    name: "demo",
    seed: overrides.seed ?? 0,
    backend: overrides.backend ?? "auto",
    output: "runs",
    runDir: overrides.out,
    model: { bundle: "builtin:base-arithmetic" },
    task: { ...(bundleTask as { name: "arithmetic" }), name: "arithmetic" },
    trainer: "grpo",
    grpo: {
      steps: overrides.steps ?? 60,
      promptsPerStep: 8,
      groupSize: 8,
      maxNewTokens: 40,
      temperature: 1,
      lr: 1e-3,
      schedule: "constant",
      warmupSteps: 0,
      maxGradNorm: 1,
      beta: 0,
      lossType: "grpo",
      scaleRewards: "group",
      logSamples: 4,
    },
    rewards: [{ name: "accuracy", weight: 1 }, { name: "format", weight: 1 }],
    eval: { problems: overrides.heldOut ?? 200, temperature: 0, maxNewTokens: 40 },
    checkpointEvery: 0,
  };
}

const usage = `usage: r1ts demo [--steps N] [--backend NAME] [--seed N] [--held-out N] [--out DIR] [--json]

An R1-Zero run in minutes on a laptop: GRPO with accuracy + format rewards from the bundled base
model (packages/cli/assets/base-arithmetic, pre-trained by examples/pretrain-base.ts) on multi-digit
addition, evaluated on held-out problems before and after. Uses the best backend that starts here
(say --backend reference|tfjs to choose). Writes runs/demo-<time>/ (or --out DIR).

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
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: { steps: { type: "string" }, backend: { type: "string" }, seed: { type: "string" }, "held-out": { type: "string" }, out: { type: "string" }, json: { type: "boolean", default: false } },
      }));
    } catch (error) {
      throw new UsageError(`${(error as Error).message}\n\n${usage}`);
    }
    const int = (name: string, v: string | undefined, min: number): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${v}`);
      return n;
    };
    const config = parseRunConfig(demoConfig({
      steps: int("steps", values.steps, 1), seed: int("seed", values.seed, 0), heldOut: int("held-out", values["held-out"], 0), backend: values.backend, out: values.out,
    }), "r1ts demo");
    console.error(`r1ts demo: GRPO (accuracy + format rewards) on the bundled base model, ${config.grpo!.steps} steps of ${config.grpo!.promptsPerStep} prompts x ${config.grpo!.groupSize} completions`);
    await runConfigured(config, { baseDir: process.cwd(), json: values.json! });
    return 0;
  },
};
