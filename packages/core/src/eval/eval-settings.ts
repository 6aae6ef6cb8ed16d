/**
 * The settings of held-out evaluation, one schema wherever a model is evaluated: a run's or pipeline's
 * `eval:` section, an eval stage's options, `r1ts eval`. Which reward says a completion is correct is
 * named here (`correctness`), as is the reward whose mean is the format rate (`format`): no reward name
 * is built into the evaluation.
 */
import { z } from "zod";

const int = (min = 0) => z.number().int().min(min);

const fields = {
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
  /** The reward whose score >= 1 means a completion is correct: accuracy and pass@k count it (e.g. `accuracy`). */
  correctness: z.string().min(1),
  /** The reward whose mean is reported as the format rate (e.g. `format`). */
  format: z.string().min(1),
  /** Seed of the evaluation's sampling (default: the run's seed + 17). */
  seed: int(),
  /** Also evaluate during training, every this many steps (0 = only before and after). */
  every: int(),
};

export const evalSettingsSchema = z.object({
  problems: fields.problems.default(200),
  maxNewTokens: fields.maxNewTokens.optional(),
  temperature: fields.temperature.default(0),
  topP: fields.topP.default(1),
  samplesPerProblem: fields.samplesPerProblem.default(1),
  passK: fields.passK.default([]),
  correctness: fields.correctness.optional(),
  format: fields.format.optional(),
  seed: fields.seed.optional(),
  every: fields.every.default(0),
}).strict();

/** Some evaluation settings, without defaults: the rest come from the run's `eval:` (an eval stage's options). */
export const evalOverridesSchema = z.object(fields).partial().strict();

export type EvalSettingsInput = z.input<typeof evalSettingsSchema>;
export type EvalSettings = z.output<typeof evalSettingsSchema>;
export type EvalOverrides = z.output<typeof evalOverridesSchema>;

/** The sampling seed of an evaluation: the settings' own, else the run's seed + 17. */
export const evalSeed = (settings: Pick<EvalSettings, "seed">, runSeed: number): number => settings.seed ?? runSeed + 17;
