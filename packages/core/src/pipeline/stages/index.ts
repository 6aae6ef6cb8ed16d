/** The built-in stages, registered by the `@r1ts/core/stages` plugin that every pipeline loads first. */
import { definePlugin } from "../../plugin/define-plugin.ts";
import { CORE_VERSION } from "../../plugin/core-version.ts";
import type { PipelineStage } from "../stage.ts";
import { distillStage } from "./distill-stage.ts";
import { evalStage } from "./eval-stage.ts";
import { grpoStage } from "./grpo-stage.ts";
import { pretrainStage } from "./pretrain-stage.ts";
import { rejectionSamplingStage } from "./rejection-stage.ts";
import { sftStage } from "./sft-stage.ts";
import { taskDataStage } from "./task-data-stage.ts";

export const BUILTIN_STAGES: readonly PipelineStage[] = Object.freeze([
  pretrainStage, sftStage, grpoStage, rejectionSamplingStage, distillStage, evalStage, taskDataStage,
]);

export const builtinStagesPlugin = definePlugin({
  name: "@r1ts/core/stages",
  version: CORE_VERSION,
  coreRange: `^${CORE_VERSION}`,
  description: "the built-in pipeline stages: pretrain, sft, grpo, rejection-sampling, distill, eval, task-data",
  setup(api) {
    for (const stage of BUILTIN_STAGES) api.registerStage(stage);
  },
});

export { distillStage, evalStage, grpoStage, pretrainStage, rejectionSamplingStage, sftStage, taskDataStage };
export { distillStageOptions } from "./distill-stage.ts";
export { grpoStageOptions } from "./grpo-stage.ts";
export { pretrainStageOptions } from "./pretrain-stage.ts";
export { REJECTION_STATS_FILE, describeSelection, sampleToDataset } from "./rejection-stage.ts";
export { sftStageOptions } from "./sft-stage.ts";
export { TASK_DATA_STYLES, type TaskDataStyle, styledCompletion, taskDataStageOptions } from "./task-data-stage.ts";
export { stageTrainerParts, trainInStage } from "./train-in-stage.ts";
export { saveStageModel, stageBundleConfig } from "./stage-models.ts";
