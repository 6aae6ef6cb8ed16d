/**
 * The schema (zod) of a pipeline config: a list of stages, each naming a registered stage, the artifacts
 * it takes (by reference: an entry of `artifacts:`, `<stage id>.<output>`, or `<stage id>` when that stage
 * has one output of the needed kind) and its options. The task (or dataset), rewards and evaluation
 * settings given at the top are every stage's defaults. `r1ts run` runs every config through the pipeline
 * runner: a run config is a one-stage pipeline (config/run-as-pipeline.ts).
 */
import { z } from "zod";
import { evalOverridesSchema, evalSettingsSchema } from "../eval/eval-settings.ts";
import { pluginSpecConfigSchema, rewardUseConfigSchema } from "../plugin/config-schema.ts";
import { dataSchema, taskSchema } from "../tasks/task-config.ts";
import { ARTIFACT_KINDS } from "./artifact.ts";
import { modelSourceSchema } from "../config/model-source.ts";

const int = (min = 0) => z.number().int().min(min);
const ID = /^[a-z0-9][a-z0-9._-]*$/i;

export const stageEntrySchema = z.object({
  /** Unique in the pipeline; default: the stage name. Names the stage's directory and its outputs. */
  id: z.string().regex(ID, "expected letters, digits, '.', '_' or '-'").optional(),
  /** A registered stage: pretrain, sft, grpo, rejection-sampling, distill, eval, task-data, or a plugin's. */
  stage: z.string().min(1),
  /** Input name -> artifact reference. */
  inputs: z.record(z.string(), z.string().min(1)).default({}),
  /** The stage's options (checked by its own schema). */
  options: z.record(z.string(), z.unknown()).default({}),
  /** This stage's rewards (default: the pipeline's). */
  rewards: z.array(rewardUseConfigSchema).optional(),
  /** Held-out evaluation of the model this stage makes: false = none; an object overrides the pipeline's settings. */
  eval: z.union([z.boolean(), evalOverridesSchema]).optional(),
}).strict();

export const artifactEntrySchema = z.object({
  kind: z.enum(ARTIFACT_KINDS),
  /** A path (relative to the config file) or a name the caller resolves (e.g. builtin:base-arithmetic). */
  path: z.string().min(1),
  /** Models: "hf" checks that the path is a Hugging Face model folder (default: a bundle or an HF folder). */
  format: z.enum(["bundle", "hf"]).optional(),
}).strict();

export const pipelineConfigSchema = z.object({
  name: z.string().regex(ID, "expected letters, digits, '.', '_' or '-'").default("pipeline"),
  seed: int().default(0),
  backend: z.string().min(1).default("auto"),
  /** The run directory is <output>/<name> (or exactly `runDir`): re-running reuses it and skips finished stages. */
  output: z.string().min(1).default("runs"),
  runDir: z.string().min(1).optional(),
  plugins: z.array(pluginSpecConfigSchema).default([]),
  /** Shorthand for `artifacts: { base: { kind: model, path: <bundle or hf folder> } }`. */
  model: modelSourceSchema.optional(),
  task: taskSchema.optional(),
  /** Problems from a dataset instead of a built-in task (training prompts, held-out rows). */
  data: dataSchema.optional(),
  rewards: z.array(rewardUseConfigSchema).default([]),
  eval: evalSettingsSchema.default(evalSettingsSchema.parse({})),
  /** Named inputs from outside the pipeline. */
  artifacts: z.record(z.string().regex(ID, "expected letters, digits, '.', '_' or '-'"), artifactEntrySchema).default({}),
  stages: z.array(stageEntrySchema).min(1, "list at least one stage"),
}).strict().refine((c) => !(c.task && c.data), { message: "expected either task or data, got both", path: ["data"] });

export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
export type StageEntry = z.output<typeof stageEntrySchema>;

/** Types a pipeline config written in TypeScript; an identity function. */
export function definePipeline(config: PipelineConfigInput): PipelineConfigInput {
  return config;
}
