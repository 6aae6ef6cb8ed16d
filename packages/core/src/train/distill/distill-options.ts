/** Logit distillation's options (docs/distillation.md): SFT's batch options plus the KL term's. */
import { z } from "zod";
import { R1tsError } from "../../errors.ts";
import { sftOptionsSchema } from "../sft/sft-options.ts";
import { parseTrainerOptions } from "../trainer-options.ts";

export const distillationOptionsSchema = sftOptionsSchema.omit({ includePrompt: true }).extend({
  /** Weight of the KL term (0 = plain SFT). */
  klWeight: z.number().min(0),
  /** T: both distributions are softened by it. */
  temperature: z.number().positive(),
}).strict();

export type DistillationConfig = z.input<typeof distillationOptionsSchema>;
export type ResolvedDistillationConfig = z.output<typeof distillationOptionsSchema>;

export class DistillationError extends R1tsError {}

export function resolveDistillationConfig(config: DistillationConfig): ResolvedDistillationConfig {
  const c = parseTrainerOptions(distillationOptionsSchema, config, "distill", DistillationError);
  if (c.batchSize % c.gradientAccumulation !== 0) throw new DistillationError(`distill.gradientAccumulation must be a positive divisor of batchSize (${c.batchSize}), got ${c.gradientAccumulation}`);
  return c;
}
