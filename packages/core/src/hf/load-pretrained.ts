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
import { type HfModelType, isHfConfig, mapHfConfig } from "./config.ts";
import { HfModelError } from "./errors.ts";
import { type GenerationConfig, readGenerationConfig } from "./generation-config.ts";
import { rememberPretrainedSource } from "./pretrained-source.ts";
import { pathExists } from "../util/path-exists.ts";
import { readJsonFile } from "../util/read-json-file.ts";
import { type LoadWeightsReport, loadHfWeights } from "./weights.ts";
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
  const model = new TransformerLM({ ...mapping.config, fp8Weights: mapping.fp8Weights && fp8 === "keep" }, { empty: true });
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
