/**
 * `r1ts inspect --model <preset | config.json | checkpoint or HF model dir>`: parameter counts (total and activated
 * per token) and decoding-cache sizes computed from the config alone, no weights allocated, so
 * `--model deepseek-v3-671b` runs anywhere.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  type ParameterCount, type TransformerConfig, type TransformerConfigInput,
  MODEL_PRESETS, R1tsError, countParameters, fromHfConfig, isHfConfig, isModelPreset, presetConfig, transformerConfig,
} from "@r1ts/core";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";

const usage = `usage: r1ts inspect --model <preset | config.json | checkpoint or HF model dir> [--json]

Counts a model's parameters (total, activated per token) and its decoding cache per token per layer
(MLA's latent cache vs full keys and values) from its config, without allocating any weights.
--model takes a preset (${Object.keys(MODEL_PRESETS).join(", ")}),
an r1ts model config or bundle config.json, a Hugging Face config.json (llama, mistral, qwen2, qwen3,
deepseek_v2, deepseek_v3), or a directory holding one (a checkpoint or a Hugging Face model folder).`;

export interface Inspection {
  model: string;
  params: number;
  activatedParams: number;
  kvCacheValuesPerTokenPerLayer: ParameterCount["kvCacheValuesPerTokenPerLayer"];
  breakdown: Omit<ParameterCount, "params" | "activatedParams" | "kvCacheValuesPerTokenPerLayer">;
  config: TransformerConfig;
}

/** Resolves a preset name or a config file/directory to a model config. */
export function modelConfigOf(spec: string): TransformerConfigInput {
  if (isModelPreset(spec)) return presetConfig(spec);
  let file = path.resolve(spec);
  if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "config.json");
  if (!existsSync(file)) throw new UsageError(`--model ${JSON.stringify(spec)} is neither a preset (${Object.keys(MODEL_PRESETS).join(", ")}) nor an existing file or directory`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (isHfConfig(json)) return fromHfConfig(json);
  if (typeof json === "object" && json !== null && typeof (json as { model?: unknown }).model === "object") return (json as { model: TransformerConfigInput }).model;
  return json as TransformerConfigInput;
}

export function inspectModel(spec: string): Inspection {
  const config = transformerConfig(modelConfigOf(spec));
  const { params, activatedParams, kvCacheValuesPerTokenPerLayer, ...breakdown } = countParameters(config);
  return { model: spec, params, activatedParams, kvCacheValuesPerTokenPerLayer, breakdown, config };
}

const billions = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${n}`);

export const inspectCommand: Command = {
  name: "inspect",
  summary: "parameter counts and KV-cache sizes of a preset or config, without allocating weights",
  usage,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({ args, options: { model: { type: "string" }, json: { type: "boolean", default: false } } }));
    } catch (error) {
      throw new UsageError(`${(error as Error).message}\n\n${usage}`);
    }
    if (!values.model) throw new UsageError(`--model is required\n\n${usage}`);
    let result: Inspection;
    try {
      result = inspectModel(values.model);
    } catch (error) {
      if (error instanceof R1tsError) throw new UsageError(`${values.model}: ${error.message}`);
      throw error;
    }
    if (values.json) {
      console.log(JSON.stringify(result));
      return 0;
    }
    const { config: c, kvCacheValuesPerTokenPerLayer: kv } = result;
    const attention = c.attention === "mla" ? `MLA (q rank ${c.qLoraRank || "none"}, kv rank ${c.kvLoraRank})` : `GQA (${c.nHeads} heads, ${c.nKvHeads} kv heads)`;
    const mlp = c.nRoutedExperts > 0 ? `MoE ${c.nActivatedExperts}/${c.nRoutedExperts} routed + ${c.nSharedExperts} shared, ${c.nDenseLayers} dense layers first` : "dense SwiGLU";
    console.log(`${result.model}: ${c.nLayers} layers, dim ${c.dim}, ${attention}, ${mlp}, vocabulary ${c.vocabSize}`);
    console.log(`parameters           ${billions(result.params)} (${result.params})`);
    console.log(`activated per token  ${billions(result.activatedParams)} (${result.activatedParams})`);
    console.log(`cache per token/layer ${kv.mla === null ? "" : `latent ${kv.mla} values, `}full K/V ${kv.naive} values`);
    return 0;
  },
};
