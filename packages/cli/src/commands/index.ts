/** Every command of `r1ts`. A new command is one file in this folder and one line here. */
import type { Command } from "../command.ts";
import { rewardsCommand } from "./rewards.ts";
import { demoCommand } from "./demo.ts";
import { runCommand } from "./run.ts";
import { evalCommand } from "./eval.ts";
import { generateCommand } from "./generate.ts";
import { inspectCommand } from "./inspect.ts";
import { pipelineCommand } from "./pipeline.ts";
import { workerCommand } from "./worker.ts";
import { serveWeightsCommand } from "./serve-weights.ts";

export const commands: Command[] = [
  rewardsCommand,
  demoCommand,
  runCommand,
  evalCommand,
  generateCommand,
  inspectCommand,
  pipelineCommand,
  workerCommand,
  serveWeightsCommand,
];
