/**
 * `loadPretrained(dir)`: a local Hugging Face model folder (config.json, safetensors weights, optional
 * generation_config.json and tokenizer files) as an r1ts TransformerLM with its tokenizer. Nothing is
 * downloaded: `dir` is a folder on disk (e.g. one `huggingface-cli download` made).
 */
import { existsSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { HfTokenizer } from "../data/hf-tokenizer.ts";
import { TransformerLM } from "../nn/transformer-lm.ts";
import { type TransformerConfig, type TransformerConfigInput, transformerConfig } from "../nn/transformer-config.ts";
import { countParameters } from "../models/parameter-count.ts";
import { R1tsError } from "../errors.ts";
import { type HfModelType, isHfConfig, mapHfConfig } from "./config.ts";
import { HfModelError } from "./errors.ts";
import { type GenerationConfig, readGenerationConfig } from "./generation-config.ts";
import { rememberPretrainedSource } from "./pretrained-source.ts";
import { pathExists } from "../util/path-exists.ts";
import { readJsonFile } from "../util/read-json-file.ts";
import { type LoadWeightsReport, loadHfWeights, storedWeightValues } from "./weights.ts";
import { previewValue } from "../util/preview.ts";

export interface LoadPretrainedOptions {
  /** Fail on missing or unexpected tensors (default true); false loads what fits and reports the rest. */
  strict?: boolean;
  /** DeepSeek-V3's FP8 weights: dequantise to f32 (default; trainable) or keep E4M3 with block scales (4x smaller, inference only). */
  fp8?: "dequantize" | "keep";
  /** Run at most this many positions (default max_position_embeddings; RoPE tables are that long). */
  maxSeqLen?: number;
  /** Load tokenizer.json if the folder has one (default true). */
  tokenizer?: boolean;
}

export interface PretrainedModel {
  model: TransformerLM;
  /** The folder's tokenizer, if it has tokenizer.json. */
  tokenizer: HfTokenizer | undefined;
  /** config.json as read. */
  config: Record<string, unknown>;
  generationConfig: GenerationConfig | undefined;
  modelType: HfModelType;
  /** What was ignored or adjusted (unknown config fields, MTP layers, a tied lm_head, a capped context). */
  notices: string[];
  weights: LoadWeightsReport;
}

/** Whether `dir` holds a Hugging Face model folder (a config.json with model_type). */
export function isHfModelFolder(dir: string): boolean {
  const file = join(dir, "config.json");
  if (!existsSync(file)) return false;
  try {
    return isHfConfig(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return false;
  }
}

export async function loadPretrained(dir: string, options: LoadPretrainedOptions = {}): Promise<PretrainedModel> {
  const { strict = true, fp8 = "dequantize", maxSeqLen } = options;
  if (fp8 !== "dequantize" && fp8 !== "keep") throw new HfModelError(dir, `option fp8 must be "dequantize" or "keep", got ${previewValue(fp8)}`);
  await checkFolder(dir);
  const configPath = join(dir, "config.json");
  const config = await readConfig(configPath);
  const mapping = mapHfConfig(config, { source: configPath, maxSeqLen });
  const modelConfig = checkedModelConfig({ ...mapping.config, fp8Weights: mapping.fp8Weights && fp8 === "keep" }, configPath);
  if (strict) await checkSizeAgainstWeights(modelConfig, dir, configPath);
  let model: TransformerLM;
  try {
    model = new TransformerLM(modelConfig, { empty: true });
  } catch (error) {
    if (error instanceof RangeError) throw new HfModelError(configPath, `describes a model too large to allocate here (${countParameters(modelConfig).params} parameters): ${error.message}`, { cause: error });
    throw error;
  }
  let weights: LoadWeightsReport;
  try {
    weights = await loadHfWeights(model, dir, { strict, extraLayers: mapping.extraLayers });
  } catch (error) {
    model.dispose();
    throw error;
  }
  const generationConfig = await readGenerationConfig(dir);
  const tokenizer = options.tokenizer !== false && (await pathExists(join(dir, "tokenizer.json"))) ? await HfTokenizer.load(dir) : undefined;
  const notices = [...mapping.notices, ...weights.ignored.map((t) => `${dir}: ignored ${t}`)];
  if (weights.missing.length > 0) notices.push(`${dir}: ${weights.missing.length} parameter(s) missing from the files kept their initial values: ${weights.missing.join(", ")}`);
  if (weights.unexpected.length > 0) notices.push(`${dir}: ${weights.unexpected.length} tensor(s) fit no parameter and were not read: ${weights.unexpected.join(", ")}`);
  if (tokenizer && tokenizer.vocabSize > model.config.vocabSize) notices.push(`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens, more than the model's vocab_size ${model.config.vocabSize}`);
  rememberPretrainedSource(model, { dir, config, generationConfig });
  return { model, tokenizer, config, generationConfig, modelType: mapping.modelType, notices, weights };
}

/** The mapped config, validated: a value that maps but makes no model (nHeads -1, ...) fails naming config.json. */
function checkedModelConfig(input: TransformerConfigInput, configPath: string): TransformerConfig {
  let config: TransformerConfig;
  try {
    config = transformerConfig(input);
  } catch (error) {
    if (error instanceof R1tsError) throw new HfModelError(configPath, error.message, { cause: error });
    throw error;
  }
  // RoPE tables are precomputed for the whole context (maxSeqLen x rotary dims, f32, twice).
  if (config.maxSeqLen > MAX_CONTEXT) {
    throw new HfModelError(configPath, `max_position_embeddings ${config.maxSeqLen} is more than r1ts precomputes RoPE tables for (${MAX_CONTEXT}); load with loadPretrained(dir, { maxSeqLen }) to use a shorter context`);
  }
  return config;
}

/** The longest context a loaded model gets without an explicit maxSeqLen (2^22 tokens). */
const MAX_CONTEXT = 1 << 22;

/**
 * A config that describes far more parameters than the weight files hold is refused before the model is
 * allocated (a hand-edited hidden_size would otherwise allocate gigabytes, then fail on the first
 * tensor). The margin (2x + 1M) leaves room for parameters the count estimates differently.
 */
async function checkSizeAgainstWeights(config: TransformerConfig, dir: string, configPath: string): Promise<void> {
  const needed = countParameters(config).params;
  const stored = await storedWeightValues(dir);
  if (needed > 2 * stored + 1_000_000) {
    throw new HfModelError(configPath, `describes ${needed} parameters, but the weight files of ${dir} hold ${stored} values: the config does not fit the weights`);
  }
}

async function checkFolder(dir: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    throw new HfModelError(dir, "does not exist (loadPretrained reads a local Hugging Face model folder; nothing is downloaded)");
  }
  if (!isDir) throw new HfModelError(dir, "is not a folder (loadPretrained reads a Hugging Face model folder)");
}

async function readConfig(path: string): Promise<Record<string, unknown>> {
  if (!(await pathExists(path))) throw new HfModelError(path, "is missing (a Hugging Face model folder has a config.json)");
  return (await readJsonFile(path, (problem, cause) => new HfModelError(path, problem, { cause }), { object: true })) as Record<string, unknown>;
}
