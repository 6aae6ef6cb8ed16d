/**
 * A shortened pipeline: the same stages, inputs and code paths with every length capped, for smoke tests
 * and CI (`r1ts run <pipeline> --quick`). Caps apply to these option names wherever they appear in a
 * stage's options (also nested, e.g. distill's `sampling` and `training`): steps, epochs (replaced by
 * steps), warmupSteps, prompts, count, promptsPerStep, groupSize, samplesPerPrompt, problems, batchSize; and to the pipeline's
 * eval.problems / samplesPerProblem. With `keepAll` (the default), rejection sampling's `thresholds`,
 * readability `filters` and `dropTruncated` are turned off too: a model trained for two steps rarely answers correctly, and the
 * stages after it need a dataset that is not empty.
 */
import type { PipelineConfig } from "./pipeline-config-schema.ts";

export interface ShortenOptions {
  steps?: number;
  /** Training prompts sampled (rejection sampling) and rows written (task-data). */
  prompts?: number;
  rows?: number;
  /** GRPO prompts per step and group size; rejection samples per prompt. */
  group?: number;
  /** Held-out problems per evaluation. */
  problems?: number;
  /** Rows per training step (batchSize; gradientAccumulation is capped to divide it). */
  batchSize?: number;
  /** Empty rejection sampling's thresholds and filters. */
  keepAll?: boolean;
}

export const QUICK_DEFAULTS: Required<ShortenOptions> = { steps: 2, prompts: 8, rows: 64, group: 4, problems: 16, batchSize: 8, keepAll: true };

export function shortenPipeline(config: PipelineConfig, caps: ShortenOptions = {}): PipelineConfig {
  const c = { ...QUICK_DEFAULTS, ...caps };
  const limits: Record<string, number> = {
    steps: c.steps, warmupSteps: c.steps, prompts: c.prompts, count: c.rows, promptsPerStep: c.group, groupSize: c.group, samplesPerPrompt: c.group, problems: c.problems, samplesPerProblem: c.group, batchSize: c.batchSize,
  };
  const cap = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(cap);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "epochs" && typeof v === "number") out.steps = c.steps;
      else if (key in limits && typeof v === "number") out[key] = Math.min(v, limits[key]);
      else if (key === "passK" && Array.isArray(v)) out[key] = v.filter((k) => typeof k === "number" && k <= c.group);
      else out[key] = cap(v);
    }
    if (typeof out.batchSize === "number" && typeof out.gradientAccumulation === "number" && out.batchSize % out.gradientAccumulation !== 0) out.gradientAccumulation = 1;
    // Rejection sampling's options (the stage's, or distill's `sampling`): keep every sample.
    if (c.keepAll && "samplesPerPrompt" in value) Object.assign(out, { thresholds: {}, filters: { format: false, language: false, repetition: false }, dropTruncated: false });
    return out;
  };
  return {
    ...config,
    eval: { ...config.eval, problems: Math.min(config.eval.problems, c.problems), samplesPerProblem: Math.min(config.eval.samplesPerProblem, c.group), passK: config.eval.passK.filter((k) => k <= c.group) },
    stages: config.stages.map((s) => ({ ...s, options: cap(s.options) as Record<string, unknown>, eval: typeof s.eval === "object" ? (cap(s.eval) as typeof s.eval) : s.eval })),
  };
}
