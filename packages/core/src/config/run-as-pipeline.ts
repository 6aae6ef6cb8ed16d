/**
 * A run config is a one-stage pipeline: the model (bundle or HF folder) is the artifact `base`, SFT's data files are
 * dataset artifacts, and the trainer is the stage of its name (`grpo`, `sft`) with the run's options.
 * `runJob` runs it through the pipeline runner with the run directory as the stage's directory.
 */
import type { PipelineConfig } from "../pipeline/pipeline-config-schema.ts";
import type { RunConfig } from "./run-config-schema.ts";
import { modelSourceFormat, modelSourcePath } from "./model-source.ts";

/** The stage id of a run's one stage: the trainer's name. */
export const runStageId = (config: RunConfig): string => config.trainer;

export function runAsPipeline(config: RunConfig): PipelineConfig {
  const artifacts: PipelineConfig["artifacts"] = { base: { kind: "model", path: modelSourcePath(config.model), format: modelSourceFormat(config.model) } };
  const eval_ = { ...config.eval, maxNewTokens: config.eval.maxNewTokens ?? config.grpo?.maxNewTokens };
  const common = {
    name: config.name, seed: config.seed, backend: config.backend, output: config.output, runDir: config.runDir, plugins: config.plugins,
    task: config.task, data: config.data, rewards: config.rewards, eval: eval_,
  };
  if (config.trainer === "grpo") {
    return { ...common, artifacts, stages: [{ id: runStageId(config), stage: "grpo", inputs: { model: "base" }, options: { ...config.grpo!, ...(config.rollout ? { rollout: config.rollout } : {}) } }] };
  }
  const data = config.data!;
  artifacts.data = { kind: "dataset", path: data.train };
  const inputs: Record<string, string> = { model: "base", data: "data" };
  // Held-out rows: data.eval, or (evalSplit given) another split of a train dataset folder.
  if (data.eval || data.evalSplit) {
    artifacts.heldOut = { kind: "dataset", path: data.eval ?? data.train };
    inputs.evalData = "heldOut";
  }
  const format = data.promptFormat;
  const options = {
    ...config.sft!, promptColumn: data.promptColumn, completionColumn: data.completionColumn,
    template: format === undefined ? data.template : format === "r1-zero", chat: format === "chat",
    split: data.split, subset: data.subset, evalSplit: data.evalSplit ?? "test",
  };
  return { ...common, artifacts, stages: [{ id: runStageId(config), stage: "sft", inputs, options }] };
}
