/**
 * A model bundle: a checkpoint directory whose config.json says how to rebuild the model and its
 * tokenizer: `{ model: TransformerConfig, tokenizer: <HF tokenizer.json>, eosToken, ... }`.
 * The bundled base model, every run's checkpoints and `r1ts generate --model DIR` all use this form.
 */
import { R1tsError } from "../errors.ts";
import { BpeTokenizer } from "../data/bpe-tokenizer.ts";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CHECKPOINT_FILES, type Checkpoint, loadCheckpoint, saveCheckpoint } from "../io/checkpoint.ts";
import { TransformerLM } from "../nn/transformer-lm.ts";
import type { TransformerConfig } from "../nn/transformer-config.ts";
import { splitReference } from "../train/grpo/grpo-trainer.ts";

export interface BundleConfig {
  model: TransformerConfig;
  tokenizer: unknown;
  /** The end-of-text token: generation stops on it and pads with it. */
  eosToken: string;
  /** How `r1ts eval` scores this model by default: its rewards, and which is correctness / format. */
  evaluation?: { rewards: string[]; correctness?: string; format?: string };
  /** Anything else worth keeping (how the model was made, the task it knows). */
  [key: string]: unknown;
}

export interface ModelBundle {
  model: TransformerLM;
  tokenizer: BpeTokenizer;
  eosTokenId: number;
  config: BundleConfig;
  checkpoint: Checkpoint;
}

/** A directory that is not a usable model bundle. */
export class ModelBundleError extends R1tsError {}

/**
 * Reads and checks a bundle's config.json without loading any weights (so a command can fail on a
 * missing or broken model before it starts a backend). Throws a ModelBundleError naming the path.
 */
export async function readBundleConfig(dir: string): Promise<BundleConfig> {
  if (!existsSync(dir)) throw new ModelBundleError(`model ${dir}: no such directory. Give a model bundle directory (config.json + model.safetensors), e.g. a run's checkpoints/step-N, or builtin:base-arithmetic`);
  if (!statSync(dir).isDirectory()) throw new ModelBundleError(`model ${dir}: is a file; a model is a bundle directory with config.json and model.safetensors`);
  for (const file of [CHECKPOINT_FILES.config, CHECKPOINT_FILES.weights]) {
    if (!existsSync(join(dir, file))) throw new ModelBundleError(`model ${dir}: has no ${file}; a model is a bundle directory with config.json and model.safetensors`);
  }
  let config: unknown;
  try {
    config = JSON.parse(await readFile(join(dir, CHECKPOINT_FILES.config), "utf8"));
  } catch (error) {
    throw new ModelBundleError(`model ${dir}: ${CHECKPOINT_FILES.config} is not valid JSON (${(error as Error).message})`);
  }
  return checkBundleConfig(dir, config);
}

function checkBundleConfig(dir: string, value: unknown): BundleConfig {
  const config = value as BundleConfig;
  if (typeof config !== "object" || config === null || typeof config.model !== "object" || config.model === null) {
    throw new ModelBundleError(`${dir}/config.json: "model" must be the model's config object`);
  }
  if (typeof config.eosToken !== "string") throw new ModelBundleError(`${dir}/config.json: "eosToken" must be a string, got ${JSON.stringify(config.eosToken)}`);
  return config;
}

export async function loadModelBundle(dir: string): Promise<ModelBundle> {
  await readBundleConfig(dir);
  const checkpoint = await loadCheckpoint(dir);
  const config = checkBundleConfig(dir, checkpoint.config);
  const tokenizer = BpeTokenizer.fromJSON(config.tokenizer);
  const eosTokenId = tokenizer.tokenToId(config.eosToken);
  if (eosTokenId === undefined) throw new ModelBundleError(`${dir}/config.json: eosToken ${JSON.stringify(config.eosToken)} is not in the tokenizer`);
  if (config.model.vocabSize !== tokenizer.vocabSize) {
    throw new ModelBundleError(`${dir}/config.json: model.vocabSize ${config.model.vocabSize} differs from the tokenizer's ${tokenizer.vocabSize} tokens`);
  }
  const model = new TransformerLM(config.model);
  // A GRPO checkpoint also holds its reference model (under ref_model.); a bundle is the policy.
  model.loadStateDict(splitReference(checkpoint.weights).policy);
  return { model, tokenizer, eosTokenId, config, checkpoint };
}

/** Writes `model` with its tokenizer as a bundle (atomically); `extra` goes into config.json. */
export async function saveModelBundle(dir: string, model: TransformerLM, tokenizer: BpeTokenizer, eosToken: string, extra: Record<string, unknown> = {}, more: Partial<Checkpoint> = {}): Promise<void> {
  const config: BundleConfig = { ...extra, model: model.config, tokenizer: tokenizer.toJSON(), eosToken };
  await saveCheckpoint(dir, { ...more, weights: await model.stateDict(), config });
}
