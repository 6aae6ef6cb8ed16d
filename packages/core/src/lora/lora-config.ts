/**
 * LoRA options (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"), named and
 * defaulted as Hugging Face PEFT's LoraConfig: r 8, alpha 8, dropout 0, target modules q_proj and v_proj
 * (PEFT's default for Llama-style models), the scale alpha / r (alpha / sqrt(r) with rsLoRA).
 *
 * Target modules follow PEFT's matching: a list matches a module whose dotted path equals an entry or
 * ends with "." + entry; a string is a regular expression the whole path must match; "all-linear" is
 * every Linear layer except the output head (lm_head).
 */
import { z } from "zod";
import { R1tsError } from "../errors.ts";

/** A bad LoRA option, adapter folder or target: names what and where. */
export class LoraError extends R1tsError {}

export const loraConfigSchema = z.object({
  r: z.number().int().min(1).default(8),
  alpha: z.number().positive().default(8),
  dropout: z.number().min(0).lt(1).default(0),
  targetModules: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]).default(["q_proj", "v_proj"]),
  useRslora: z.boolean().default(false),
  /** Seed of lora_A's initialisation and of dropout. */
  seed: z.number().int().min(0).default(0),
}).strict();

export type LoraConfigInput = z.input<typeof loraConfigSchema>;
export type LoraConfig = z.output<typeof loraConfigSchema>;

/** Validates and fills defaults; a LoraError names the field. */
export function resolveLoraConfig(input: LoraConfigInput, where = "lora"): LoraConfig {
  const parsed = loraConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LoraError(`${[where, ...issue.path].join(".")}: ${issue.message}`);
  }
  if (typeof parsed.data.targetModules === "string" && parsed.data.targetModules !== "all-linear") {
    try {
      new RegExp(parsed.data.targetModules);
    } catch (error) {
      throw new LoraError(`${where}.targetModules: ${JSON.stringify(parsed.data.targetModules)} is not a valid regular expression (${(error as Error).message})`);
    }
  }
  return parsed.data;
}

/** The factor of the low-rank update: alpha / r, or alpha / sqrt(r) with rsLoRA. */
export function loraScaling(config: Pick<LoraConfig, "r" | "alpha" | "useRslora">): number {
  return config.useRslora ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r;
}

/** Whether the module at dotted `path` is a target (PEFT's rules; "all-linear" is decided by the caller). */
export function isLoraTarget(path: string, targetModules: LoraConfig["targetModules"]): boolean {
  if (typeof targetModules === "string") return targetModules === "all-linear" || new RegExp(`^(?:${targetModules})$`).test(path);
  return targetModules.some((t) => path === t || path.endsWith(`.${t}`));
}
