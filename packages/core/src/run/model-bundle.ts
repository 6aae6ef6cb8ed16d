/**
 * A model bundle: a checkpoint directory whose config.json says how to rebuild the model and its
 * tokenizer: `{ model: TransformerConfig, tokenizer: <HF tokenizer.json>, eosToken, ... }`.
 * The bundled base model, every run's checkpoints and `r1ts generate --model DIR` all use this form.
 */
import { R1tsError } from "../errors.ts";
import { BpeTokenizer } from "../data/bpe-tokenizer.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../io/checkpoint.ts";
import { TransformerLM } from "../nn/transformer-lm.ts";
import { type TransformerConfig, transformerConfig } from "../nn/transformer-config.ts";
import { countParameters } from "../models/parameter-count.ts";
import { splitReference } from "../train/grpo/grpo-trainer.ts";
import { previewValue } from "../util/preview.ts";

export interface BundleConfig {
  model: TransformerConfig;
  tokenizer: unknown;
  /** The end-of-text token: generation stops on it and pads with it. */
  eosToken: string;
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

export async function loadModelBundle(dir: string): Promise<ModelBundle> {
  const checkpoint = await loadCheckpoint(dir);
  const where = `${dir}/config.json`;
  const config = checkpoint.config as BundleConfig;
  if (typeof config !== "object" || config === null || typeof config.model !== "object" || config.model === null) {
    throw new ModelBundleError(`${where}: "model" must be the model's config object`);
  }
  if (typeof config.eosToken !== "string") throw new ModelBundleError(`${where}: "eosToken" must be a string, got ${previewValue(config.eosToken)}`);
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
  // A GRPO checkpoint also holds its reference model (under ref_model.); a bundle is the policy.
  const weights = splitReference(checkpoint.weights).policy;
  // Check the sizes before allocating: a config that claims more parameters than the weights hold
  // would otherwise build (and randomly initialise) a model of any size.
  const stored = Object.values(weights).reduce((n, t) => n + t.data.length, 0);
  const needed = countParameters(modelConfig).params;
  if (needed > stored) throw new ModelBundleError(`${where}: the model config has ${needed} parameters, but ${dir}/model.safetensors holds ${stored} values`);
  const model = new TransformerLM(modelConfig);
  try {
    model.loadStateDict(weights);
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
