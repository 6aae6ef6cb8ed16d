/**
 * The schema (zod) of a run config: one training run (GRPO or SFT) on a model bundle or HF folder, what `r1ts run`
 * and `r1ts demo` run. It describes the model, backend, task or data, the trainer with its options (the
 * trainer's own schema: the same defaults as in code), rewards with weights, evaluation, output
 * directory and seed. A run config runs as a one-stage pipeline (run-as-pipeline.ts).
 */
import { z } from "zod";
import { evalSettingsSchema } from "../eval/eval-settings.ts";
import { pluginSpecConfigSchema, rewardUseConfigSchema } from "../plugin/config-schema.ts";
import { modelSourceSchema } from "./model-source.ts";
import { dataSchema, taskSchema } from "../tasks/task-config.ts";
import { rolloutConfigSchema } from "../sampling/rollout-engine-kind.ts";
import { grpoOptionsSchema } from "../train/grpo/grpo-options.ts";
import { sftOptionsSchema } from "../train/sft/sft-options.ts";

const int = (min = 0) => z.number().int().min(min);

/** The trainers a run config can name. */
export const RUN_TRAINERS = ["grpo", "sft"] as const;

/** A trainer's options in a run config: its schema without what the run sets (seed, evaluation cadence, padding). */
export const grpoSchema = grpoOptionsSchema.omit({ seed: true, evalEvery: true, maxStaleness: true, importanceCap: true });
export const sftSchema = sftOptionsSchema.omit({ seed: true, evalEvery: true, padId: true });

/** The model: `{ bundle: DIR | builtin:NAME }` or `{ hf: DIR }` (config/model-source.ts). */
export const modelSchema = modelSourceSchema;

export const runConfigSchema = z.object({
  name: z.string().min(1).default("run"),
  seed: int().default(0),
  /** A registered backend name, or "auto" (the best one that starts here). */
  backend: z.string().min(1).default("auto"),
  /** Runs are written to <output>/<name>-<timestamp> (or exactly `runDir` when given). */
  output: z.string().min(1).default("runs"),
  runDir: z.string().min(1).optional(),
  plugins: z.array(pluginSpecConfigSchema).default([]),
  model: modelSchema,
  task: taskSchema.optional(),
  data: dataSchema.optional(),
  trainer: z.enum(RUN_TRAINERS),
  grpo: grpoSchema.optional(),
  sft: sftSchema.optional(),
  rewards: z.array(rewardUseConfigSchema).default([]),
  /** Where GRPO's rollouts come from (engine: local | queue, its options, maxStaleness, rewardsOn): docs/distributed.md. */
  rollout: rolloutConfigSchema.optional(),
  eval: evalSettingsSchema.default(evalSettingsSchema.parse({})),
}).strict().superRefine((c, ctx) => {
  const need = (cond: boolean, path: (string | number)[], message: string): void => {
    if (!cond) ctx.addIssue({ code: "custom", path, message });
  };
  need(c.task !== undefined || c.data !== undefined, ["task"], "expected a task ({ name: arithmetic | countdown, ... }) or a data section, got neither");
  need(!(c.task !== undefined && c.data !== undefined), ["data"], "expected either task or data, got both");
  if (c.trainer === "grpo") {
    need(c.grpo !== undefined, ["grpo"], "expected the GRPO options (trainer is grpo), got nothing");
    need(c.rewards.length > 0, ["rewards"], "expected at least one reward (trainer is grpo), got an empty list");
  } else {
    need(c.rollout === undefined, ["rollout"], "expected no rollout section (trainer is sft: it generates nothing), got one");
    need(c.sft !== undefined, ["sft"], "expected the SFT options (trainer is sft), got nothing");
    need(c.data !== undefined, ["data"], "expected a data section with completions (trainer is sft), got nothing");
  }
  if (c.task?.name === "arithmetic") need(c.task.maxDigits >= c.task.minDigits, ["task", "maxDigits"], `expected >= minDigits (${c.task.minDigits}), got ${c.task.maxDigits}`);
});

/** A run config as written (defaults optional). */
export type RunConfigInput = z.input<typeof runConfigSchema>;
/** A run config with every default filled in. */
export type RunConfig = z.output<typeof runConfigSchema>;

/** Types a config written in TypeScript (`r1ts.config.ts`); an identity function, like Vite's. */
export function defineConfig(config: RunConfigInput): RunConfigInput {
  return config;
}
