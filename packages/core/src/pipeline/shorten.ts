/**
 * A shortened pipeline: the same stages, inputs and code paths with every length capped, for smoke tests
 * and CI (`r1ts run <pipeline> --quick`). Caps apply to these option names wherever they appear in a
 * stage's options (also nested, e.g. distill's `sampling` and `training`): steps, epochs (replaced by
 * steps), prompts, count, promptsPerStep, groupSize, samplesPerPrompt, problems; and to the pipeline's
 * eval.problems / samplesPerProblem. With `keepAll` (the default), rejection sampling's `thresholds` and
 * readability `filters` are emptied too: a model trained for two steps rarely answers correctly, and the
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
  /** Empty rejection sampling's thresholds and filters. */
  keepAll?: boolean;
}

export const QUICK_DEFAULTS: Required<ShortenOptions> = { steps: 2, prompts: 8, rows: 64, group: 4, problems: 16, keepAll: true };

export function shortenPipeline(config: PipelineConfig, caps: ShortenOptions = {}): PipelineConfig {
  const c = { ...QUICK_DEFAULTS, ...caps };
  const limits: Record<string, number> = {
    steps: c.steps, prompts: c.prompts, count: c.rows, promptsPerStep: c.group, groupSize: c.group, samplesPerPrompt: c.group, problems: c.problems, samplesPerProblem: c.group,
  };
  const cap = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(cap);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "epochs" && typeof v === "number") out.steps = c.steps;
      else if (key in limits && typeof v === "number") out[key] = Math.min(v, limits[key]);
      else if (key === "passK" && Array.isArray(v)) out[key] = v.filter((k) => typeof k === "number" && k <= c.group);
      else if (c.keepAll && key === "thresholds") out[key] = {};
      else if (c.keepAll && key === "filters") out[key] = { format: false, language: false, repetition: false };
      else out[key] = cap(v);
    }
    return out;
  };
  return {
    ...config,
    eval: { ...config.eval, problems: Math.min(config.eval.problems, c.problems), samplesPerProblem: Math.min(config.eval.samplesPerProblem, c.group), passK: config.eval.passK.filter((k) => k <= c.group) },
    stages: config.stages.map((s) => ({ ...s, options: cap(s.options) as Record<string, unknown>, eval: typeof s.eval === "object" ? (cap(s.eval) as typeof s.eval) : s.eval })),
  };
}
