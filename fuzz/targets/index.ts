/** Every fuzz target by name. */
import type { FuzzTarget } from "../harness/target.ts";
import { pipelineConfigTarget, runConfigTarget } from "./config-files.ts";
import { jsonlTarget, parquetTarget } from "./datasets.ts";
import { tokenizerJsonTarget } from "./tokenizer-json.ts";
import { checkpointTarget } from "./checkpoint.ts";
import { rewardsScoreTarget } from "./rewards-score.ts";
import { hfConfigTarget } from "./hf-config.ts";
import { hfFolderTarget, hfTokenizerTarget } from "./hf-folder.ts";
import { safetensorsTarget } from "./safetensors.ts";

export const fuzzTargets: Record<string, FuzzTarget> = Object.fromEntries(
  [safetensorsTarget, hfConfigTarget, runConfigTarget, pipelineConfigTarget, jsonlTarget, parquetTarget, tokenizerJsonTarget, checkpointTarget, rewardsScoreTarget, hfFolderTarget, hfTokenizerTarget].map((t) => [t.name, t]),
);
