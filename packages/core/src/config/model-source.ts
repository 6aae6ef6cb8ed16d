/**
 * The `model:` of a run or pipeline config: an r1ts model bundle (`{ bundle: DIR | builtin:NAME }`) or a
 * Hugging Face model folder (`{ hf: DIR }`: config.json, safetensors weights, tokenizer files; see
 * docs/huggingface.md). A model trained from an HF folder is written back as one (savePretrained).
 */
import { z } from "zod";

export const modelSourceSchema = z.object({
  /** A model bundle directory (config.json + model.safetensors), or "builtin:base-arithmetic". */
  bundle: z.string().min(1).optional(),
  /** A local Hugging Face model folder (nothing is downloaded). */
  hf: z.string().min(1).optional(),
}).strict().superRefine((m, ctx) => {
  if ((m.bundle === undefined) === (m.hf === undefined)) ctx.addIssue({ code: "custom", message: `expected exactly one of bundle (an r1ts model bundle) or hf (a Hugging Face model folder), got ${m.bundle === undefined ? "neither" : "both"}` });
});

export type ModelSource = z.output<typeof modelSourceSchema>;

/** The folder (or builtin: name) a model source names. */
export function modelSourcePath(model: ModelSource): string {
  return (model.hf ?? model.bundle)!;
}

/** The artifact format a model source declares ("hf" folders are checked to be HF folders). */
export function modelSourceFormat(model: ModelSource): "bundle" | "hf" {
  return model.hf !== undefined ? "hf" : "bundle";
}
