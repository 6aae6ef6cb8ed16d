/**
 * A model bundle: a checkpoint directory whose config.json says how to rebuild the model and its
 * tokenizer: `{ model: TransformerConfig, tokenizer: <HF tokenizer.json>, eosToken, ... }`.
 * The bundled base model, every run's checkpoints and `r1ts generate --model DIR` all use this form.
 */
import { R1tsError } from "../errors.ts";
import { BpeTokenizer } from "../data/bpe-tokenizer.ts";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { CHECKPOINT_FILES, type Checkpoint, loadCheckpoint, readCheckpointConfig, saveCheckpoint } from "../io/checkpoint.ts";
import { TransformerLM } from "../nn/transformer-lm.ts";
import { type TransformerConfig, transformerConfig } from "../nn/transformer-config.ts";
import { countParameters } from "../models/parameter-count.ts";
import { mergeAdapterTensors } from "../lora/lora-model.ts";
import { splitTrainerWeights } from "../train/grpo/grpo-trainer.ts";
import { previewValue } from "../util/preview.ts";

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
  return checkBundleConfig(dir, await readCheckpointConfig(dir));
}

function checkBundleConfig(dir: string, value: unknown): BundleConfig {
  const where = `${dir}/config.json`;
  const config = value as BundleConfig;
  if (typeof config !== "object" || config === null || typeof config.model !== "object" || config.model === null) {
    throw new ModelBundleError(`${where}: "model" must be the model's config object`);
  }
  if (typeof config.eosToken !== "string") throw new ModelBundleError(`${where}: "eosToken" must be a string, got ${previewValue(config.eosToken)}`);
  return config;
}

export async function loadModelBundle(dir: string): Promise<ModelBundle> {
  await readBundleConfig(dir);
  const checkpoint = await loadCheckpoint(dir);
  const where = `${dir}/config.json`;
  const config = checkBundleConfig(dir, checkpoint.config);
  const tokenizer = BpeTokenizer.fromJSON(config.tokenizer, `${where}, "tokenizer"`);
  const eosTokenId = tokenizer.tokenToId(config.eosToken);
  if (eosTokenId === undefined) throw new ModelBundleError(`${where}: eosToken ${JSON.stringify(config.eosToken)} is not in the tokenizer`);
  let modelConfig: TransformerConfig;
  try {
    modelConfig = transformerConfig(config.model);
  } catch (error) {
    if (error instanceof R1tsError) throw new ModelBundleError(`${where}: ${error.message}`, { cause: error });
    throw error;
  }
  if (modelConfig.vocabSize !== tokenizer.vocabSize) {
    throw new ModelBundleError(`${where}: model.vocabSize ${modelConfig.vocabSize} differs from the tokenizer's ${tokenizer.vocabSize} tokens`);
  }
  // A GRPO checkpoint also holds its reference model (under ref_model.) and, with LoRA, its adapters
  // (under PEFT's names, applied with the config in trainer_state.json); a bundle is the policy.
  const { policy: weights, adapters } = splitTrainerWeights(checkpoint.weights);
  // Check the sizes before allocating: a config that claims more parameters than the weights hold
  // would otherwise build (and randomly initialise) a model of any size.
  const stored = Object.values(weights).reduce((n, t) => n + t.data.length, 0);
  const needed = countParameters(modelConfig).params;
  if (needed > stored) throw new ModelBundleError(`${where}: the model config has ${needed} parameters, but ${dir}/model.safetensors holds ${stored} values`);
  const model = new TransformerLM(modelConfig);
  try {
    model.loadStateDict(weights);
    if (Object.keys(adapters).length > 0) mergeAdapterTensors(model, checkpoint.trainerState?.lora, adapters, `${dir}/trainer_state.json`);
  } catch (error) {
    model.dispose();
    if (error instanceof R1tsError) throw new ModelBundleError(`${dir}/model.safetensors does not fit the model of ${where}: ${error.message}`, { cause: error });
    throw error;
  }
  return { model, tokenizer, eosTokenId, config, checkpoint };
}

/** Writes `model` with its tokenizer as a bundle (atomically); `extra` goes into config.json. */
export async function saveModelBundle(dir: string, model: TransformerLM, tokenizer: BpeTokenizer, eosToken: string, extra: Record<string, unknown> = {}, more: Partial<Checkpoint> = {}): Promise<void> {
  const config: BundleConfig = { ...extra, model: model.config, tokenizer: tokenizer.toJSON(), eosToken };
  await saveCheckpoint(dir, { ...more, weights: await model.stateDict(), config });
}
