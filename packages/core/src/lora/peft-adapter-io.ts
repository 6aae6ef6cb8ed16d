/**
 * LoRA adapters in Hugging Face PEFT's folder format, so adapters move between r1ts and PEFT /
 * transformers / vLLM:
 *
 *   adapter_config.json        {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r", "lora_alpha",
 *                              "lora_dropout", "target_modules", "use_rslora", "bias": "none", ...}
 *   adapter_model.safetensors  base_model.model.<layer path>.lora_A.weight [r, in] and .lora_B.weight [out, r]
 *
 * The folder is written atomically. A loaded adapter starts in evaluation mode (no dropout). Loading validates the config (PEFT features r1ts does not
 * implement, such as DoRA, bias training or per-layer ranks, fail with what to change) and applies the
 * adapter to a base model, with every tensor checked by name and shape before any is copied.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeDirAtomic } from "../io/atomic-write.ts";
import { type HostTensor, parseSafetensors, serializeSafetensors } from "../io/safetensors.ts";
import type { Module } from "../nn/module.ts";
import { LoraError } from "./lora-config.ts";
import { type LoraModel, applyLora } from "./lora-model.ts";

export const PEFT_FILES = { config: "adapter_config.json", weights: "adapter_model.safetensors" } as const;

/** The prefix PEFT puts before a layer's path in adapter_model.safetensors. */
export const PEFT_PREFIX = "base_model.model.";

export interface SaveAdapterOptions {
  /** Recorded as base_model_name_or_path (PEFT uses it to find the base model). */
  baseModelNameOrPath?: string | null;
}

/** PEFT's adapter_config.json for this adapter. */
export function peftAdapterConfig(lora: LoraModel, { baseModelNameOrPath = null }: SaveAdapterOptions = {}): Record<string, unknown> {
  const c = lora.config;
  return {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: baseModelNameOrPath,
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: c.targetModules,
    use_rslora: c.useRslora,
    bias: "none",
    fan_in_fan_out: false,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    revision: null,
  };
}

/** Writes the adapter folder (atomically). */
export async function saveLoraAdapter(lora: LoraModel, dir: string, options: SaveAdapterOptions = {}): Promise<void> {
  const tensors: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(await lora.stateDict())) tensors[PEFT_PREFIX + name] = t;
  await writeDirAtomic(dir, {
    [PEFT_FILES.config]: `${JSON.stringify(peftAdapterConfig(lora, options), null, 2)}\n`,
    [PEFT_FILES.weights]: serializeSafetensors(tensors, { format: "pt" }),
  });
}

/** Reads an adapter folder and applies it to `model` (which it freezes); returns the LoraModel. */
export async function loadLoraAdapter(model: Module, dir: string): Promise<LoraModel> {
  const configPath = join(dir, PEFT_FILES.config);
  const weightsPath = join(dir, PEFT_FILES.weights);
  const raw = await readText(configPath);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw) as Record<string, unknown>;
  } catch (error) {
    throw new LoraError(`${configPath}: not valid JSON (${(error as Error).message})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new LoraError(`${configPath}: expected a JSON object`);
  const unsupported = (field: string, ok: (v: unknown) => boolean, what: string): void => {
    if (field in json && !ok(json[field])) throw new LoraError(`${configPath}: ${field} = ${JSON.stringify(json[field])} is not supported (${what})`);
  };
  if (json.peft_type !== "LORA") throw new LoraError(`${configPath}: peft_type must be "LORA", got ${JSON.stringify(json.peft_type)}`);
  unsupported("use_dora", (v) => v === false || v === null, "DoRA is not implemented: use a plain LoRA adapter");
  unsupported("bias", (v) => v === "none", 'only bias "none" (biases are not trained)');
  unsupported("fan_in_fan_out", (v) => v === false || v === null, "weights must be stored [out, in] (nn.Linear layout)");
  unsupported("rank_pattern", isEmpty, "one rank for every layer");
  unsupported("alpha_pattern", isEmpty, "one alpha for every layer");
  unsupported("modules_to_save", (v) => v === null || (Array.isArray(v) && v.length === 0), "no fully trained extra modules");
  unsupported("layers_to_transform", (v) => v === null, "adapters on every matching layer");
  let lora: LoraModel;
  try {
    lora = applyLora(model, {
      r: json.r as number,
      alpha: json.lora_alpha as number,
      dropout: (json.lora_dropout as number | undefined) ?? 0,
      targetModules: json.target_modules as string[] | string,
      useRslora: (json.use_rslora as boolean | undefined) ?? false,
    });
  } catch (error) {
    throw new LoraError(`${configPath}: ${(error as Error).message}`);
  }
  try {
    const { tensors } = parseSafetensors(await readBytes(weightsPath), weightsPath);
    const record: Record<string, HostTensor> = {};
    const unexpected: string[] = [];
    for (const [name, t] of Object.entries(tensors)) {
      if (name.startsWith(PEFT_PREFIX)) record[name.slice(PEFT_PREFIX.length)] = t;
      else unexpected.push(name);
    }
    if (unexpected.length > 0) throw new LoraError(`${weightsPath}: tensors without the "${PEFT_PREFIX}" prefix: ${unexpected.slice(0, 4).join(", ")}`);
    // PEFT may name tensors with the adapter name (".lora_A.default.weight"): accept both spellings.
    for (const name of Object.keys(record)) {
      const plain = name.replace(/\.(lora_[AB])\.default\.weight$/, ".$1.weight");
      if (plain !== name) {
        record[plain] = record[name];
        delete record[name];
      }
    }
    try {
      lora.loadStateDict(record);
    } catch (error) {
      throw new LoraError(`${weightsPath}: ${(error as Error).message}`);
    }
    // A loaded adapter is for inference until a trainer says otherwise (PeftModel.from_pretrained).
    lora.setTraining(false);
    return lora;
  } catch (error) {
    lora.unload();
    throw error instanceof LoraError ? error : new LoraError(`${weightsPath}: ${(error as Error).message}`);
  }
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === "object" && Object.keys(v as object).length === 0);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new LoraError(`${path}: cannot read the adapter config (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); an adapter folder holds ${PEFT_FILES.config} and ${PEFT_FILES.weights}`);
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new LoraError(`${path}: cannot read the adapter weights (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
