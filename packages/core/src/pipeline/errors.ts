/** Pipeline errors: each names the stage (by id and kind), the input or output, and what to do. */
import { R1tsError } from "../errors.ts";

export class PipelineError extends R1tsError {}

/**
 * A pipeline config that cannot run: unknown stages, bad options, inputs that are missing, of the wrong
 * kind or produced too late. Raised before any stage runs, with every problem found, one per line.
 */
export class PipelineConfigError extends PipelineError {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`pipeline ${source} cannot run:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

/** A stage that failed while running, or did not write an output it declares. */
export class StageError extends PipelineError {
  constructor(
    readonly stageId: string,
    readonly stageName: string,
    problem: string,
  ) {
    super(`stage "${stageId}" (${stageName}): ${problem}`);
  }
}
