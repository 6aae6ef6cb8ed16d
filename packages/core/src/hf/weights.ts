/**
 * Loading a Hugging Face folder's safetensors weights into a TransformerLM, tensor by tensor: every
 * shard's header is read and checked first (truncated files, the index against the shards, missing,
 * unexpected, mis-shaped and mis-typed tensors all fail before any data is read), then each tensor is
 * read, converted to the model's dtype (F16 / BF16 -> f32; DeepSeek-V3's FP8 E4M3 weights dequantised
 * with their 128 x 128 `weight_scale_inv` blocks, or kept as FP8) and assigned. Memory holds the model
 * plus one tensor, never a whole shard.
 *
 * Layout (as transformers writes it): `model.safetensors`, or shards listed in
 * `model.safetensors.index.json` as `{ metadata: { total_size }, weight_map: { tensor: shard file } }`.
 */
import { readFile } from "node:fs/promises";
import { basename, join, normalize } from "node:path";
import { engine } from "../tensor/engine.ts";
import { formatShape } from "../tensor/shape.ts";
import type { DType, TypedArray } from "../tensor/dtype.ts";
import type { Variable } from "../tensor/tensor.ts";
import { bf16ToF32, f16ToF32 } from "../tensor/float16.ts";
import type { HostTensor, SafetensorsEntry } from "../io/safetensors.ts";
import { SafetensorsFile } from "../io/safetensors-file.ts";
import { dequantizeBlocks, FP8_BLOCK } from "../quant/block-quant.ts";
import type { TransformerLM } from "../nn/transformer-lm.ts";
import { HfModelError } from "./errors.ts";
import { pathExists } from "../util/path-exists.ts";
import { previewValue } from "../util/preview.ts";

export const SINGLE_WEIGHTS_FILE = "model.safetensors";
export const WEIGHTS_INDEX_FILE = "model.safetensors.index.json";
const SCALE_SUFFIX = ".weight_scale_inv";

export interface WeightFiles {
  /** The shard files (absolute), in order. */
  files: string[];
  /** With an index: where each tensor is, by the index. */
  index?: { path: string; weightMap: Map<string, string> };
}

/** Finds a folder's safetensors weights: the index with its shards, or `model.safetensors`. */
export async function locateWeights(dir: string): Promise<WeightFiles> {
  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  if (await pathExists(indexPath)) {
    const weightMap = await readIndex(indexPath);
    const shards = [...new Set(weightMap.values())].sort();
    for (const shard of shards) {
      if (!(await pathExists(join(dir, shard)))) throw new HfModelError(indexPath, `lists shard "${shard}", which is not in ${dir}`);
    }
    return { files: shards.map((s) => join(dir, s)), index: { path: indexPath, weightMap: new Map([...weightMap].map(([t, s]) => [t, join(dir, s)])) } };
  }
  const single = join(dir, SINGLE_WEIGHTS_FILE);
  if (await pathExists(single)) return { files: [single] };
  const hint = (await pathExists(join(dir, "pytorch_model.bin"))) ? " (pytorch_model.bin is not read: convert the weights to safetensors)" : "";
  throw new HfModelError(dir, `has neither ${SINGLE_WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE}${hint}`);
}

async function readIndex(path: string): Promise<Map<string, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new HfModelError(path, `is not valid JSON (${(error as Error).message})`);
  }
  const map = (json as { weight_map?: unknown })?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) throw new HfModelError(path, `"weight_map" must be an object of tensor name -> shard file, got ${previewValue(map, 60)}`);
  const out = new Map<string, string>();
  for (const [tensor, file] of Object.entries(map)) {
    if (typeof file !== "string" || file !== basename(normalize(file)) || file === "..") throw new HfModelError(path, `weight_map["${tensor}"] must be a shard file name in the same folder, got ${previewValue(file)}`);
    out.set(tensor, file);
  }
  return out;
}

export interface LoadWeightsOptions {
  /** Fail on missing or unexpected tensors (default true); with false they are reported instead. */
  strict?: boolean;
  /** Layers at index >= nLayers that the config declares as extra (DeepSeek-V3's MTP module): their tensors are ignored. */
  extraLayers?: number;
}

export interface LoadWeightsReport {
  /** Tensors loaded into the model. */
  loaded: number;
  /** Parameters the files did not have (left as they were); non-empty only with strict: false. */
  missing: string[];
  /** Tensors of the files that fit no parameter (not read); non-empty only with strict: false. */
  unexpected: string[];
  /** Tensors left out on purpose, with the reason. */
  ignored: string[];
  /** FP8 weights met: how many, and whether they were dequantised or kept. */
  fp8Weights: { count: number; mode: "dequantized" | "kept" | "none" };
}

interface Located {
  file: SafetensorsFile;
  entry: SafetensorsEntry;
}

/** Loads the weights of `dir` into `model` (HfModelError naming the file and tensor on any problem). */
export async function loadHfWeights(model: TransformerLM, dir: string, options: LoadWeightsOptions = {}): Promise<LoadWeightsReport> {
  const { strict = true, extraLayers = 0 } = options;
  const located = await locateWeights(dir);
  const files: SafetensorsFile[] = [];
  try {
    for (const path of located.files) files.push(await openShard(path));
    const available = tensorsOf(files, located);
    const plan = planLoad(model, available, { extraLayers });
    if (strict && (plan.missing.length > 0 || plan.unexpected.length > 0)) {
      const parts: string[] = [];
      if (plan.missing.length > 0) parts.push(`missing tensors (the model has them, the files do not): ${plan.missing.join(", ")}`);
      if (plan.unexpected.length > 0) parts.push(`unexpected tensors (in the files, not in the model): ${plan.unexpected.map((n) => `${n} (${basename(available.get(n)!.file.path)})`).join(", ")}`);
      throw new HfModelError(dir, `weights do not fit the model:\n  ${parts.join("\n  ")}\nPass { strict: false } to load the matching tensors and report the rest.`);
    }
    for (const job of plan.jobs) {
      const data = await job.read();
      const t = engine.makeTensor(data, job.param.shape, job.param.dtype, job.param.backend);
      job.param.assign(t);
      t.dispose();
    }
    const fp8Count = plan.jobs.filter((j) => j.fp8 !== undefined).length;
    const kept = plan.jobs.some((j) => j.fp8 === "kept");
    return {
      loaded: plan.jobs.length,
      missing: plan.missing,
      unexpected: plan.unexpected,
      ignored: plan.ignored,
      fp8Weights: { count: fp8Count, mode: fp8Count === 0 ? "none" : kept ? "kept" : "dequantized" },
    };
  } finally {
    for (const f of files) await f.close();
  }
}

/** How many values the weight files of `dir` hold in all, from their headers only (no tensor is read). */
export async function storedWeightValues(dir: string): Promise<number> {
  const located = await locateWeights(dir);
  let total = 0;
  for (const path of located.files) {
    const file = await openShard(path);
    for (const entry of file.entries.values()) total += entry.shape.reduce((a, d) => a * d, 1);
    await file.close();
  }
  return total;
}

async function openShard(path: string): Promise<SafetensorsFile> {
  try {
    return await SafetensorsFile.open(path);
  } catch (error) {
    throw new HfModelError(path, (error as Error).message.startsWith(path) ? (error as Error).message.slice(path.length + 2) : (error as Error).message);
  }
}

/** Every tensor of the shards by name, checked against the index when there is one. */
function tensorsOf(files: SafetensorsFile[], located: WeightFiles): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const file of files) {
    for (const entry of file.entries.values()) {
      const other = out.get(entry.name);
      if (other) throw new HfModelError(file.path, `tensor "${entry.name}" is also in ${other.file.path}`);
      out.set(entry.name, { file, entry });
    }
  }
  if (located.index) {
    const { path, weightMap } = located.index;
    for (const [tensor, shard] of weightMap) {
      const found = out.get(tensor);
      if (!found) throw new HfModelError(path, `lists tensor "${tensor}" in ${basename(shard)}, which does not hold it`);
      if (found.file.path !== shard) throw new HfModelError(path, `lists tensor "${tensor}" in ${basename(shard)}, but it is in ${basename(found.file.path)}`);
    }
    for (const [tensor, { file }] of out) {
      if (!weightMap.has(tensor)) throw new HfModelError(path, `does not list tensor "${tensor}", which shard ${basename(file.path)} holds`);
    }
  }
  return out;
}

interface Job {
  name: string;
  param: Variable;
  read: () => Promise<TypedArray>;
  fp8?: "dequantized" | "kept";
}

interface Plan {
  jobs: Job[];
  missing: string[];
  unexpected: string[];
  ignored: string[];
}

const FLOAT_SOURCES: readonly DType[] = ["f32", "f16", "bf16"];

function planLoad(model: TransformerLM, available: Map<string, Located>, { extraLayers }: { extraLayers: number }): Plan {
  const params = model.namedParameters();
  const jobs: Job[] = [];
  const ignored: string[] = [];
  const unexpected: string[] = [];
  const consumed = new Set<string>();
  const nLayers = model.config.nLayers;
  for (const [name, { entry }] of available) {
    if (params.has(name)) continue;
    const layer = /^model\.layers\.(\d+)\./.exec(name);
    if (layer && extraLayers > 0 && Number(layer[1]) >= nLayers && Number(layer[1]) < nLayers + extraLayers) ignored.push(`${name} (multi-token-prediction layer)`);
    else if (name.endsWith("rotary_emb.inv_freq")) ignored.push(`${name} (RoPE buffer, recomputed)`);
    else if (name === "lm_head.weight" && model.config.tieEmbeddings) ignored.push(`${name} (tied to model.embed_tokens.weight)`);
    else if (name.endsWith(SCALE_SUFFIX) && params.has(name.slice(0, -SCALE_SUFFIX.length) + ".weight") && entry.dtype !== "f8e4m3") consumed.add(name);
    else unexpected.push(name);
  }
  const missing: string[] = [];
  for (const [name, param] of params) {
    const found = available.get(name);
    if (!found) {
      missing.push(name);
      continue;
    }
    jobs.push(jobFor(name, param, found, available, consumed));
  }
  // Scales left over belong to weights that were not FP8 in the file: they fit nothing.
  unexpected.push(...consumed);
  return { jobs, missing, unexpected, ignored };
}

function jobFor(name: string, param: Variable, { file, entry }: Located, available: Map<string, Located>, consumed: Set<string>): Job {
  const where = `${file.path}: tensor "${name}"`;
  const fail = (problem: string): never => {
    throw new HfModelError(file.path, `tensor "${name}" ${problem}`);
  };
  const count = entry.shape.reduce((a, d) => a * d, 1);
  if (count !== param.size || entry.shape.length !== param.shape.length || entry.shape.some((d, i) => d !== param.shape[i])) {
    fail(`has shape ${formatShape(entry.shape)}, the model expects ${formatShape(param.shape)}`);
  }
  if (param.dtype === "f8e4m3") {
    if (entry.dtype !== "f8e4m3") fail(`is ${entry.dtype}, but the model keeps FP8 weights: load with { fp8: "dequantize" } or give it F8_E4M3 weights`);
    return { name, param, read: async () => (await file.read(name)).data, fp8: "kept" };
  }
  if (param.dtype !== "f32") fail(`cannot be loaded into a ${param.dtype} parameter`);
  if (entry.dtype === "f8e4m3") {
    const scaleName = name.slice(0, -".weight".length) + SCALE_SUFFIX;
    const scale = available.get(scaleName);
    if (!name.endsWith(".weight") || !scale) fail(`is F8_E4M3 without its block scales "${scaleName}"`);
    consumed.delete(scaleName);
    const [rows, cols] = entry.shape;
    const expected = [Math.ceil(rows / FP8_BLOCK), Math.ceil(cols / FP8_BLOCK)];
    if (entry.shape.length !== 2 || scale!.entry.shape.length !== 2 || scale!.entry.shape[0] !== expected[0] || scale!.entry.shape[1] !== expected[1]) {
      throw new HfModelError(scale!.file.path, `tensor "${scaleName}" has shape ${formatShape(scale!.entry.shape)}; the ${formatShape(entry.shape)} weight needs ${formatShape(expected)} (128 x 128 blocks)`);
    }
    if (!FLOAT_SOURCES.includes(scale!.entry.dtype)) throw new HfModelError(scale!.file.path, `tensor "${scaleName}" is ${scale!.entry.dtype}, expected F32 (or BF16) block scales`);
    return {
      name,
      param,
      fp8: "dequantized",
      read: async () => {
        const codes = (await file.read(name)).data as Uint8Array;
        const scales = toF32(await scale!.file.read(scaleName), where);
        return dequantizeBlocks({ rows, cols, blockRows: FP8_BLOCK, blockCols: FP8_BLOCK, codes, scales });
      },
    };
  }
  if (!FLOAT_SOURCES.includes(entry.dtype)) fail(`is ${entry.dtype}; a weight must be F32, F16 or BF16 (or F8_E4M3 with weight_scale_inv)`);
  return { name, param, read: async () => toF32(await file.read(name), where) };
}

/** f32 values of a float tensor (F32 as is, F16 and BF16 widened exactly). */
function toF32(t: HostTensor, where: string): Float32Array {
  switch (t.dtype) {
    case "f32":
      return t.data as Float32Array;
    case "f16":
      return f16ToF32(t.data as Uint16Array);
    case "bf16":
      return bf16ToF32(t.data as Uint16Array);
    default:
      throw new HfModelError(where, `is ${t.dtype}, not a float tensor`);
  }
}
