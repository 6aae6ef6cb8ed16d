/**
 * The schema (zod) of a run config: what `r1ts run` and `r1ts demo` run. One file describes the model,
 * backend, task or data, trainer (GRPO or SFT) with its options, rewards with weights, evaluation,
 * checkpoints, output directory and seed. Defaults follow REFERENCE §1 where it gives one.
 */
import { z } from "zod";
import { pluginSpecConfigSchema, rewardUseConfigSchema } from "../plugin/config-schema.ts";

const int = (min = 0) => z.number().int().min(min);
const positive = () => z.number().positive();
const nonNegative = () => z.number().min(0);

export const optimizationSchema = z.object({
  lr: positive(),
  minLr: nonNegative().optional(),
  warmupSteps: int().optional(),
  schedule: z.enum(["constant", "cosine", "linear"]).default("constant"),
  weightDecay: nonNegative().default(0),
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  maxGradNorm: nonNegative().default(1),
});

export const grpoSchema = optimizationSchema.extend({
  steps: int(),
  promptsPerStep: int(1),
  groupSize: int(1),
  maxNewTokens: int(1),
  temperature: nonNegative().default(1),
  topP: z.number().gt(0).max(1).default(1),
  topK: int().optional(),
  beta: nonNegative().default(0),
  epsilonLow: z.number().min(0).lt(1).default(0.2),
  epsilonHigh: nonNegative().optional(),
  lossType: z.enum(["grpo", "bnpo", "dr_grpo", "dapo"]).default("grpo"),
  scaleRewards: z.enum(["group", "batch", "none"]).default("group"),
  numIterations: int(1).default(1),
  maskTruncatedCompletions: z.boolean().default(false),
  refResetEvery: int().default(0),
  microBatchSize: int(1).optional(),
  logSamples: int().default(4),
}).strict();

export const sftSchema = optimizationSchema.extend({
  steps: int(),
  batchSize: int(1),
  gradientAccumulation: int(1).default(1),
  includePrompt: z.boolean().default(false),
  evalEvery: int().default(0),
}).strict();

export const taskSchema = z.discriminatedUnion("name", [
  z.object({
    name: z.literal("arithmetic"),
    minDigits: int(1).default(2),
    maxDigits: int(1).default(3),
    operations: z.array(z.enum(["+", "-", "*"])).min(1).default(["+"]),
    heldOutFraction: z.number().gt(0).lt(1).default(0.1),
    seed: int().default(0),
  }).strict(),
  z.object({
    name: z.literal("countdown"),
    minNumbers: int(2).default(3),
    maxNumbers: int(2).default(4),
    maxNumber: int(2).default(99),
    maxTarget: int(1).default(100),
    heldOutFraction: z.number().gt(0).lt(1).default(0.1),
    seed: int().default(0),
  }).strict(),
]);

export const dataSchema = z.object({
  /** A JSONL or Parquet file of rows; relative paths are relative to the config file. */
  train: z.string().min(1),
  /** Held-out rows (evaluation); default: none. */
  eval: z.string().min(1).optional(),
  /** The column with the question (put into the R1-Zero template unless `template` is false). */
  promptColumn: z.string().min(1).default("prompt"),
  /** SFT: the column with the target completion. */
  completionColumn: z.string().min(1).default("completion"),
  /** Wrap the prompt column in the R1-Zero template (default true). */
  template: z.boolean().default(true),
}).strict();

export const evalSchema = z.object({
  /** Held-out problems (task) or rows (data) evaluated before and after training; 0 = no evaluation. */
  problems: int().default(200),
  maxNewTokens: int(1).optional(),
  temperature: nonNegative().default(0),
  topP: z.number().gt(0).max(1).default(1),
  samplesPerProblem: int(1).default(1),
  /** Also evaluate every this many steps (0 = only before and after). */
  every: int().default(0),
}).strict();

export const modelSchema = z.object({
  /** A model bundle directory (config.json + model.safetensors), or "builtin:base-arithmetic". */
  bundle: z.string().min(1),
}).strict();

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
  trainer: z.enum(["grpo", "sft"]),
  grpo: grpoSchema.optional(),
  sft: sftSchema.optional(),
  rewards: z.array(rewardUseConfigSchema).default([]),
  eval: evalSchema.default({ problems: 200, temperature: 0, topP: 1, samplesPerProblem: 1, every: 0 }),
  /** Save a checkpoint every this many steps (0 = only the final one). */
  checkpointEvery: int().default(0),
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
