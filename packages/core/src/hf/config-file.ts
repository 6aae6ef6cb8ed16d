/**
 * Reading a Hugging Face `config.json` from disk into a validated TransformerConfig. Every failure is an
 * HfConfigError that starts with the file's path: unreadable, not JSON, not an HF config, a field the
 * mapping rejects, or a mapped config the transformer rejects (naming its field).
 */
import { R1tsError } from "../errors.ts";
import { type TransformerConfig, transformerConfig } from "../nn/transformer-config.ts";
import { readJsonFile } from "../util/read-json-file.ts";
import { fromHfConfig, isHfConfig } from "./config.ts";
import { HfConfigError } from "./errors.ts";

export async function loadHfConfig(file: string): Promise<TransformerConfig> {
  const json = await readJsonFile(file, (problem, cause) => new HfConfigError(`${file}: ${problem}`, { cause }));
  if (!isHfConfig(json)) throw new HfConfigError(`${file}: not a Hugging Face config (expected an object with a "model_type" string)`);
  const mapped = fromHfConfig(json, file);
  try {
    return transformerConfig(mapped);
  } catch (error) {
    if (error instanceof R1tsError) throw new HfConfigError(`${file} (${json.model_type}): ${error.message}`, { cause: error });
    throw error;
  }
}
