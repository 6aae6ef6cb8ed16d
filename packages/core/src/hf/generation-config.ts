/**
 * `generation_config.json`: the stop tokens and sampling defaults a model was published with
 * (transformers' GenerationConfig). r1ts reads the fields its generation uses and keeps the rest raw.
 */
import { join } from "node:path";
import { HfModelError } from "./errors.ts";
import { readJsonFile } from "../util/read-json-file.ts";
import { previewValue } from "../util/preview.ts";

export const GENERATION_CONFIG_FILE = "generation_config.json";

export interface GenerationConfig {
  /** Tokens that end a completion (eos_token_id, a number or a list). */
  eosTokenIds: number[];
  bosTokenId?: number;
  padTokenId?: number;
  /** Sampling defaults; `doSample: false` means greedy. */
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxNewTokens?: number;
  repetitionPenalty?: number;
  /** The file as read. */
  raw: Record<string, unknown>;
}

/** The folder's generation config, or undefined when it has none (HfModelError for a bad file). */
export async function readGenerationConfig(dir: string): Promise<GenerationConfig | undefined> {
  const path = join(dir, GENERATION_CONFIG_FILE);
  const raw = await readJsonFile(path, (problem, cause) => new HfModelError(path, problem, { cause }), { optional: true, object: true });
  if (raw === undefined) return undefined;
  return parseGenerationConfig(raw as Record<string, unknown>, path);
}

export function parseGenerationConfig(raw: Record<string, unknown>, source = GENERATION_CONFIG_FILE): GenerationConfig {
  const tokenId = (key: string): number | undefined => {
    const v = raw[key];
    if (v == null) return undefined;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new HfModelError(source, `"${key}" must be a token id, got ${previewValue(v)}`);
    return v;
  };
  const number = (key: string): number | undefined => {
    const v = raw[key];
    if (v == null) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new HfModelError(source, `"${key}" must be a number, got ${previewValue(v)}`);
    return v;
  };
  const eos = raw.eos_token_id;
  const eosTokenIds = eos == null ? [] : Array.isArray(eos) ? eos : [eos];
  for (const id of eosTokenIds) if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) throw new HfModelError(source, `"eos_token_id" must be a token id or a list of them, got ${previewValue(eos)}`);
  const out: GenerationConfig = { eosTokenIds: eosTokenIds as number[], raw };
  const set = <K extends keyof GenerationConfig>(key: K, value: GenerationConfig[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set("bosTokenId", tokenId("bos_token_id"));
  set("padTokenId", tokenId("pad_token_id"));
  if (raw.do_sample != null) {
    if (typeof raw.do_sample !== "boolean") throw new HfModelError(source, `"do_sample" must be true or false, got ${previewValue(raw.do_sample)}`);
    out.doSample = raw.do_sample;
  }
  set("temperature", number("temperature"));
  set("topP", number("top_p"));
  set("topK", number("top_k"));
  set("maxNewTokens", number("max_new_tokens"));
  set("repetitionPenalty", number("repetition_penalty"));
  return out;
}
