/** The multi-stage pipeline: plan, runner, artifacts, stages (and the config schema they are checked against). */
export * from "./errors.ts";
export * from "./artifact.ts";
export * from "./fingerprint.ts";
export * from "./stage.ts";
export * from "./pipeline-config-schema.ts";
export * from "./plan.ts";
export * from "./pipeline-hooks.ts";
export * from "./forward-hooks.ts";
export * from "./stage-record.ts";
export * from "./stages/index.ts";
export * from "./runner.ts";
export * from "./table.ts";
export * from "./shorten.ts";
