/**
 * A model bundle: a checkpoint directory whose config.json says how to rebuild the model and its
 * tokenizer: `{ model: TransformerConfig, tokenizer: <HF tokenizer.json>, eosToken, ... }` (with
 * `tokenizerConfig`, the tokenizer is an HF one: tokenizer.json + tokenizer_config.json, chat template
 * included). The bundled base model, every run's checkpoints and `r1ts generate --model DIR` use this
 * form; a Hugging Face model folder is read as a bundle too (run/hf-bundle.ts).
 */
import { R1tsError } from "../errors.ts";
import type { Tokenizer, TokenizerFactory } from "../data/tokenizer.ts";
import { tokenIdOf, tokenizerFromSpec } from "../data/tokenizer-spec.ts";
import { HfPromptTokenizer, HfTokenizer } from "../data/hf-tokenizer.ts";
import { isHfModelFolder } from "../hf/load-pretrained.ts";
import { hfBundleConfig, loadHfBundle } from "./hf-bundle.ts";
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
  /** An HF tokenizer.json object, or `{ factory: <registered tokenizer>, options }` (data/tokenizer-spec.ts). */
  tokenizer: unknown;
  /** The end-of-text token: generation stops on it and pads with it. */
  eosToken: string;
  /** With an HF tokenizer: its tokenizer_config.json (chat template included); `tokenizer` is then its tokenizer.json. */
  tokenizerConfig?: Record<string, unknown>;
  /** A model read from (or to be written as) a Hugging Face folder: its config.json and generation_config.json. */
  hf?: { config: Record<string, unknown>; generationConfig?: Record<string, unknown> };
  /** How `r1ts eval` scores this model by default: its rewards, and which is correctness / format. */
  evaluation?: { rewards: string[]; correctness?: string; format?: string };
  /** Anything else worth keeping (how the model was made, the task it knows). */
  [key: string]: unknown;
}

export interface ModelBundle {
  model: TransformerLM;
  tokenizer: Tokenizer;
  eosTokenId: number;
  config: BundleConfig;
  /** The checkpoint read (r1ts bundles; an HF folder has none). */
  checkpoint?: Checkpoint;
}

/** A directory that is not a usable model bundle. */
export class ModelBundleError extends R1tsError {}

/**
 * Reads and checks a bundle's config.json without loading any weights (so a command can fail on a
 * missing or broken model before it starts a backend). Throws a ModelBundleError naming the path.
 */
export async function readBundleConfig(dir: string): Promise<BundleConfig> {
  if (existsSync(dir) && isHfModelFolder(dir)) return hfBundleConfig(dir);
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

/** Loads a bundle; a tokenizer named by a factory comes from `tokenizers` (a run's registered ones). */
export async function loadModelBundle(dir: string, tokenizers?: ReadonlyMap<string, TokenizerFactory>): Promise<ModelBundle> {
  if (existsSync(dir) && isHfModelFolder(dir)) return loadHfBundle(dir);
  await readBundleConfig(dir);
  const checkpoint = await loadCheckpoint(dir);
  const where = `${dir}/config.json`;
  const config = checkBundleConfig(dir, checkpoint.config);
  const tokenizer = config.tokenizerConfig === undefined
    ? await tokenizerFromSpec(config.tokenizer, tokenizers, `${where}, "tokenizer"`)
    : new HfTokenizer(config.tokenizer as Record<string, unknown>, config.tokenizerConfig, { tokenizerSource: `${where}, "tokenizer"`, configSource: `${where}, "tokenizerConfig"` }).promptTokenizer();
  const eosTokenId = tokenIdOf(tokenizer, config.eosToken);
  if (eosTokenId === undefined) throw new ModelBundleError(`${where}: eosToken ${previewValue(config.eosToken)} is not in the tokenizer`);
  let modelConfig: TransformerConfig;
  try {
    modelConfig = transformerConfig(config.model);
  } catch (error) {
    if (error instanceof R1tsError) throw new ModelBundleError(`${where}: ${error.message}`, { cause: error });
    throw error;
  }
  // An HF model's embedding may be larger than its tokenizer (padded vocabularies); other bundles match exactly.
  const fits = tokenizer instanceof HfPromptTokenizer ? modelConfig.vocabSize >= tokenizer.vocabSize : modelConfig.vocabSize === tokenizer.vocabSize;
  if (!fits) {
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

/**
 * Writes `model` with its tokenizer as a bundle (atomically); `extra` goes into config.json. The tokenizer
 * is saved as `extra.tokenizer` when given (a factory spec), else as its own `toJSON()`.
 */
export async function saveModelBundle(dir: string, model: TransformerLM, tokenizer: Tokenizer & { toJSON?(): unknown }, eosToken: string, extra: Record<string, unknown> = {}, more: Partial<Checkpoint> = {}): Promise<void> {
  const spec = extra.tokenizer ?? tokenizer.toJSON?.();
  if (spec === undefined) throw new ModelBundleError(`saveModelBundle(${dir}): the tokenizer has no toJSON(); give its spec as extra.tokenizer ({ factory, options })`);
  const config: BundleConfig = { ...extra, model: model.config, tokenizer: spec, eosToken };
  await saveCheckpoint(dir, { ...more, weights: await model.stateDict(), config });
}
