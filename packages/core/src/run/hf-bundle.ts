/**
 * A Hugging Face model folder as a model bundle, so every stage, command and evaluation that takes a
 * model takes an HF folder too: the bundle config is made from config.json and the tokenizer files (the
 * HF config and generation config kept under `hf`, the tokenizer config under `tokenizerConfig`); a stage
 * that trains such a model writes its result back with savePretrained (pipeline/stages/stage-models.ts).
 */
import { join } from "node:path";
import { HfTokenizer } from "../data/hf-tokenizer.ts";
import { mapHfConfig } from "../hf/config.ts";
import { HfModelError } from "../hf/errors.ts";
import { readGenerationConfig } from "../hf/generation-config.ts";
import { isHfModelFolder, loadPretrained } from "../hf/load-pretrained.ts";
import { locateWeights } from "../hf/weights.ts";
import { transformerConfig } from "../nn/transformer-config.ts";
import { pathExists } from "../util/path-exists.ts";
import { readJsonFile } from "../util/read-json-file.ts";
import type { BundleConfig, ModelBundle } from "./model-bundle.ts";

/** The bundle config of an HF folder, read without loading weights (the folder's files are checked). */
export async function hfBundleConfig(dir: string): Promise<BundleConfig> {
  const path = join(dir, "config.json");
  const hf = (await readJsonFile(path, (problem, cause) => new HfModelError(path, problem, { cause }), { object: true })) as Record<string, unknown>;
  const model = transformerConfig(mapHfConfig(hf, { source: path }).config);
  await locateWeights(dir);
  if (!(await pathExists(join(dir, "tokenizer.json")))) throw new HfModelError(dir, "has no tokenizer.json (r1ts needs the model's tokenizer to generate or train)");
  const tokenizer = await HfTokenizer.load(dir);
  const generationConfig = await readGenerationConfig(dir);
  return bundleConfigOf(dir, hf, model, tokenizer, generationConfig?.raw);
}

/**
 * The chat-template tokenizer of a model folder, without its weights: an HF folder's, or an r1ts bundle's
 * that keeps an HF tokenizer (a checkpoint of a model trained from an HF folder); undefined for others.
 */
export async function chatTokenizerOf(dir: string): Promise<HfTokenizer | undefined> {
  if (isHfModelFolder(dir)) return HfTokenizer.load(dir);
  const path = join(dir, "config.json");
  const config = (await readJsonFile(path, (problem, cause) => new HfModelError(path, problem, { cause }), { optional: true })) as BundleConfig | undefined;
  if (!config?.tokenizerConfig) return undefined;
  return new HfTokenizer(config.tokenizer as Record<string, unknown>, config.tokenizerConfig, { tokenizerSource: `${path} (tokenizer)`, configSource: `${path} (tokenizerConfig)` });
}

export async function loadHfBundle(dir: string): Promise<ModelBundle> {
  const pretrained = await loadPretrained(dir);
  if (!pretrained.tokenizer) {
    pretrained.model.dispose();
    throw new HfModelError(dir, "has no tokenizer.json (r1ts needs the model's tokenizer to generate or train)");
  }
  const config = bundleConfigOf(dir, pretrained.config, pretrained.model.config, pretrained.tokenizer, pretrained.generationConfig?.raw);
  const tokenizer = pretrained.tokenizer.promptTokenizer();
  return { model: pretrained.model, tokenizer, eosTokenId: tokenizer.tokenToId(config.eosToken)!, config };
}

function bundleConfigOf(dir: string, hf: Record<string, unknown>, model: BundleConfig["model"], tokenizer: HfTokenizer, generationConfig: Record<string, unknown> | undefined): BundleConfig {
  const eosToken = tokenizer.eosToken ?? eosFromGeneration(tokenizer, generationConfig);
  if (eosToken === undefined) throw new HfModelError(dir, "names no end-of-text token (no eos_token in tokenizer_config.json, no eos_token_id in generation_config.json)");
  return {
    model,
    tokenizer: tokenizer.toJSON(),
    tokenizerConfig: tokenizer.configWithTemplate(),
    eosToken,
    hf: { config: hf, ...(generationConfig ? { generationConfig } : {}) },
  };
}

function eosFromGeneration(tokenizer: HfTokenizer, generation: Record<string, unknown> | undefined): string | undefined {
  const eos = generation?.eos_token_id;
  const id = Array.isArray(eos) ? eos[0] : eos;
  return typeof id === "number" ? tokenizer.idToToken(id) : undefined;
}
