/**
 * The options every trainer has, as one zod schema that each trainer's schema extends: how long to train,
 * the seed, how often to log, evaluate and checkpoint, how many checkpoints to keep, the MoE training
 * options, and the optimization options. Config files and code are validated by the same schema, so
 * `new SFTTrainer(..., { steps, batchSize, lr })` and an `sft:` config section resolve to the same defaults.
 */
import { z } from "zod";
import { R1tsError } from "../errors.ts";
import { DEFAULT_BIAS_UPDATE_SPEED } from "../nn/moe-balance.ts";
import { optimizationSchema } from "./optimization.ts";

const int = (min = 0) => z.number().int().min(min);

/** MoE models only (DeepSeek-V3 §2.1.2; docs/moe.md): the auxiliary-loss-free bias update and the balance loss. */
export const moeTrainingSchema = z.object({
  /** gamma: how far each gate's bias moves after a step (0 = no bias update). */
  biasUpdateSpeed: z.number().min(0).default(DEFAULT_BIAS_UPDATE_SPEED),
  /** alpha of the sequence-wise balance loss added to the training loss (default: the model config's, 0.0001). */
  balanceLossAlpha: z.number().min(0).optional(),
}).strict();

export const trainerLoopSchema = optimizationSchema.extend({
  /** Optimizer steps. */
  steps: int(),
  seed: int().default(0),
  /** Fire onLog (metrics sinks, progress) every this many steps and after the last (0: only after the last). */
  logEvery: int().default(1),
  /** Run the trainer's evaluators every this many steps (0: never; the last step is left to the caller). */
  evalEvery: int().default(0),
  /** Save a checkpoint every this many steps (0: only the final one, when the trainer has a checkpoint store). */
  checkpointEvery: int().default(0),
  /** Checkpoints kept in the store (the newest ones); older ones are deleted. */
  keepCheckpoints: int(1).default(3),
  moe: moeTrainingSchema.default({ biasUpdateSpeed: DEFAULT_BIAS_UPDATE_SPEED }),
});

export type TrainerLoopConfig = z.input<typeof trainerLoopSchema>;
export type ResolvedTrainerLoop = z.output<typeof trainerLoopSchema>;

/**
 * Parses a trainer's options given in code with its schema; a bad option fails with `Error` (the
 * trainer's own error class), one line per problem: `<prefix>.<field> must be <what>, got <value>`.
 */
export function parseTrainerOptions<S extends z.ZodType>(schema: S, raw: unknown, prefix: string, Error: new (message: string) => R1tsError): z.output<S> {
  const parsed = schema.safeParse(stripUndefined(raw));
  if (parsed.success) return parsed.data;
  throw new Error(parsed.error.issues.map((issue) => describeOptionIssue(issue, raw, prefix)).join("\n"));
}

function describeOptionIssue(issue: z.core.$ZodIssue, raw: unknown, prefix: string): string {
  const path = [prefix, ...issue.path.map(String)].join(".");
  let given: unknown = raw;
  for (const key of issue.path) given = given !== null && typeof given === "object" ? (given as Record<PropertyKey, unknown>)[key] : undefined;
  const got = `, got ${given === undefined ? "nothing" : JSON.stringify(given)}`;
  switch (issue.code) {
    case "invalid_value":
      return `${path} must be one of ${issue.values.map(String).join(", ")}${got}`;
    case "unrecognized_keys":
      return `${path === prefix ? prefix : path}: unknown option${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    case "too_small":
    case "too_big": {
      if (!/^Too (small|big)/.test(issue.message)) return `${path} must be ${issue.message}${got}`;
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const op = issue.code === "too_small" ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
      return `${path} must be ${issue.origin === "number" ? "a number" : issue.origin} ${op} ${String(bound)}${got}`;
    }
    case "invalid_type":
      return `${path} must be ${issue.expected === "int" ? "an integer" : `a ${issue.expected}`}${got}`;
    default:
      return `${path} must be ${issue.message.replace(/^Invalid input: /, "")}${got}`;
  }
}

/** Options given in code may hold `undefined` for "not set": zod defaults apply to those too. */
function stripUndefined(raw: unknown): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}
