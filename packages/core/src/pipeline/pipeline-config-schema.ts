/**
 * The schema (zod) of a pipeline config: a list of stages, each naming a registered stage, the artifacts
 * it takes (by reference: an entry of `artifacts:`, `<stage id>.<output>`, or `<stage id>` when that stage
 * has one output of the needed kind) and its options. The task, rewards and evaluation settings given at
 * the top are every stage's defaults. `r1ts run` runs a config with a `stages:` list through the pipeline.
 */
import { z } from "zod";
import { taskSchema } from "../config/run-config-schema.ts";
import { pluginSpecConfigSchema, rewardUseConfigSchema } from "../plugin/config-schema.ts";
import { ARTIFACT_KINDS } from "./artifact.ts";

const int = (min = 0) => z.number().int().min(min);
const ID = /^[a-z0-9][a-z0-9._-]*$/i;

const evalFields = {
  /** Held-out problems; 0 = no evaluation. */
  problems: int(),
  /** Default: as many as fit after the longest prompt (the model's maxSeqLen). */
  maxNewTokens: int(1),
  /** 0 = greedy. */
  temperature: z.number().min(0),
  topP: z.number().gt(0).max(1),
  /** Completions per problem (pass@1 is averaged over them; pass@k needs k <= samplesPerProblem). */
  samplesPerProblem: int(1),
  /** pass@k values to report (each k <= samplesPerProblem). */
  passK: z.array(int(1)),
  /** The reward that says a completion is correct (score >= 1); default accuracy, else countdown. */
  correctReward: z.string().min(1),
  seed: int(),
};

/** Held-out evaluation settings: the pipeline's (after every stage that makes a model) and eval stages'. */
export const evalSettingsSchema = z.object({
  problems: evalFields.problems.default(200),
  maxNewTokens: evalFields.maxNewTokens.optional(),
  temperature: evalFields.temperature.default(0),
  topP: evalFields.topP.default(1),
  samplesPerProblem: evalFields.samplesPerProblem.default(1),
  passK: evalFields.passK.default([]),
  correctReward: evalFields.correctReward.optional(),
  seed: evalFields.seed.default(17),
}).strict();

/** Some evaluation settings, without defaults: the rest come from the pipeline's `eval:`. */
export const evalOverridesSchema = z.object(evalFields).partial().strict();
export type EvalOverrides = z.output<typeof evalOverridesSchema>;

export type EvalSettings = z.output<typeof evalSettingsSchema>;

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
}).strict();

export const pipelineConfigSchema = z.object({
  name: z.string().regex(ID, "expected letters, digits, '.', '_' or '-'").default("pipeline"),
  seed: int().default(0),
  backend: z.string().min(1).default("auto"),
  /** The run directory is <output>/<name> (or exactly `runDir`): re-running reuses it and skips finished stages. */
  output: z.string().min(1).default("runs"),
  runDir: z.string().min(1).optional(),
  plugins: z.array(pluginSpecConfigSchema).default([]),
  /** Shorthand for `artifacts: { base: { kind: model, path: <bundle> } }`. */
  model: z.object({ bundle: z.string().min(1) }).strict().optional(),
  task: taskSchema.optional(),
  rewards: z.array(rewardUseConfigSchema).default([]),
  eval: evalSettingsSchema.default(evalSettingsSchema.parse({})),
  /** Named inputs from outside the pipeline. */
  artifacts: z.record(z.string().regex(ID, "expected letters, digits, '.', '_' or '-'"), artifactEntrySchema).default({}),
  stages: z.array(stageEntrySchema).min(1, "list at least one stage"),
}).strict();

export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
export type StageEntry = z.output<typeof stageEntrySchema>;

/** Types a pipeline config written in TypeScript; an identity function. */
export function definePipeline(config: PipelineConfigInput): PipelineConfigInput {
  return config;
}
