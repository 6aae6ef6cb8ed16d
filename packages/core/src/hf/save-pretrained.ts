/**
 * `savePretrained(dir, { model, tokenizer })`: a folder transformers and vLLM load as they load their own:
 * config.json, the weights as `model.safetensors` (metadata format "pt"), or past `maxShardSize` as
 * `model-00001-of-0000N.safetensors` shards with `model.safetensors.index.json`, generation_config.json
 * when known, and the tokenizer files. Parameter names are HF's; tied embeddings write no lm_head;
 * FP8-kept weights stay E4M3 with their `weight_scale_inv`. The folder is written atomically
 * (io/atomic-write.ts), one shard in memory at a time.
 */
import { writeDirAtomic, type FileContent } from "../io/atomic-write.ts";
import { type HostTensor, serializeSafetensors } from "../io/safetensors.ts";
import { f32ToBF16, f32ToF16 } from "../tensor/float16.ts";
import type { TransformerLM } from "../nn/transformer-lm.ts";
import type { HfTokenizer } from "../data/hf-tokenizer.ts";
import type { Variable } from "../tensor/tensor.ts";
import { toHfConfig } from "./config.ts";
import { HfModelError } from "./errors.ts";
import { GENERATION_CONFIG_FILE, type GenerationConfig } from "./generation-config.ts";
import { SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from "./weights.ts";
import { pretrainedSourceOf } from "./pretrained-source.ts";
import { previewValue } from "../util/preview.ts";

export type SaveDType = "f32" | "bf16" | "f16";

const TORCH_DTYPES: Record<SaveDType, string> = { f32: "float32", bf16: "bfloat16", f16: "float16" };
const SAFETENSORS_METADATA = { format: "pt" };

export interface SavePretrainedOptions {
  model: TransformerLM;
  /** Written beside the weights (tokenizer.json, tokenizer_config.json, special_tokens_map.json, chat template). */
  tokenizer?: HfTokenizer;
  /** The HF config the model came from (default: the one loadPretrained read); kept as it is when it still describes the model. */
  config?: Record<string, unknown>;
  /** generation_config.json content (default: the one loadPretrained read, if any). */
  generationConfig?: GenerationConfig | Record<string, unknown>;
  /** Float weights are written in this dtype (default "f32", the model's own: exact). */
  dtype?: SaveDType;
  /** The largest shard: bytes, or a string such as "5GB" / "500MB" (default "5GB", as transformers). */
  maxShardSize?: number | string;
}

export interface SavedFolder {
  files: string[];
  shards: number;
  totalBytes: number;
}

export async function savePretrained(dir: string, options: SavePretrainedOptions): Promise<SavedFolder> {
  const { model, tokenizer, dtype = "f32" } = options;
  if (!(dtype in TORCH_DTYPES)) throw new HfModelError(dir, `dtype must be one of ${Object.keys(TORCH_DTYPES).join(", ")}, got ${previewValue(dtype)}`);
  const maxShard = parseShardSize(options.maxShardSize ?? "5GB", dir);
  const source = pretrainedSourceOf(model);
  const config = toHfConfig(model.config, { base: options.config ?? source?.config, torchDtype: TORCH_DTYPES[dtype], fp8Weights: model.config.fp8Weights });

  // Shards: parameters in model order, a new shard when the next one would pass maxShard (a larger tensor goes alone).
  const params = [...model.namedParameters()];
  const shards: [string, Variable][][] = [];
  let current: [string, Variable][] = [];
  let currentBytes = 0;
  let totalBytes = 0;
  for (const entry of params) {
    const bytes = entry[1].size * bytesAs(entry[0], entry[1], dtype);
    if (current.length > 0 && currentBytes + bytes > maxShard) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += bytes;
    totalBytes += bytes;
  }
  if (current.length > 0) shards.push(current);

  const files: Record<string, FileContent> = { "config.json": JSON.stringify(config, null, 2) + "\n" };
  const names = shards.length === 1 ? [SINGLE_WEIGHTS_FILE] : shards.map((_, i) => `model-${pad5(i + 1)}-of-${pad5(shards.length)}.safetensors`);
  shards.forEach((shard, i) => {
    files[names[i]] = async () => {
      const tensors: Record<string, HostTensor> = {};
      for (const [name, v] of shard) tensors[name] = await hostAs(name, v, dtype);
      return serializeSafetensors(tensors, SAFETENSORS_METADATA);
    };
  });
  if (shards.length > 1) {
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      for (const [name] of shard) weightMap[name] = names[i];
    });
    const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    files[WEIGHTS_INDEX_FILE] = JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: sorted }, null, 2) + "\n";
  }
  const generation = options.generationConfig ?? source?.generationConfig;
  if (generation) files[GENERATION_CONFIG_FILE] = JSON.stringify("raw" in generation && typeof generation.raw === "object" ? generation.raw : generation, null, 2) + "\n";
  if (tokenizer) Object.assign(files, tokenizer.toFiles());
  await writeDirAtomic(dir, files);
  return { files: Object.keys(files).sort(), shards: shards.length, totalBytes };
}

/** Float parameters take the save dtype; FP8 codes and their scales, and DeepSeek's selection bias, keep theirs (as HF's checkpoints). */
function keepsOwnDType(name: string, v: Variable): boolean {
  return v.dtype !== "f32" || name.endsWith("weight_scale_inv") || name.endsWith("e_score_correction_bias");
}

function bytesAs(name: string, v: Variable, dtype: SaveDType): number {
  if (keepsOwnDType(name, v)) return v.dtype === "f8e4m3" ? 1 : 4;
  return dtype === "f32" ? 4 : 2;
}

async function hostAs(name: string, v: Variable, dtype: SaveDType): Promise<HostTensor> {
  const data = await v.data();
  const shape = [...v.shape];
  if (keepsOwnDType(name, v) || dtype === "f32") return { dtype: v.dtype, shape, data };
  const f32 = data as Float32Array;
  return dtype === "bf16" ? { dtype: "bf16", shape, data: f32ToBF16(f32) } : { dtype: "f16", shape, data: f32ToF16(f32) };
}

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** Bytes of a shard size: a number, or "<n><unit>" with units B, KB, MB, GB, KiB, MiB, GiB (as transformers' max_shard_size). */
export function parseShardSize(size: number | string, where: string): number {
  if (typeof size === "number") {
    if (Number.isFinite(size) && size > 0) return size;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B)\s*$/i.exec(size);
    if (m) return Number(m[1]) * UNITS[m[2].toUpperCase()];
  }
  throw new HfModelError(where, `maxShardSize must be a positive number of bytes or a size such as "5GB", got ${previewValue(size)}`);
}

function pad5(n: number): string {
  return String(n).padStart(5, "0");
}
