/**
 * Hugging Face-style dataset folders, as `huggingface-cli download --repo-type dataset` leaves them:
 * split files named `<split>.parquet`, `<split>-00000-of-00002.parquet` (or .jsonl / .json), directly in
 * the folder, under `data/`, under a split folder (`train/*.parquet`), or under a config folder (GSM8K's
 * `main/train-00000-of-00001.parquet`). Shards of a split are read in name order and concatenated.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DatasetError } from "./jsonl-dataset.ts";
import { readDataset } from "./parquet-dataset.ts";

export interface HfDatasetOptions {
  /** The split to read (default "train"). */
  split?: string;
  /** The config (subset) folder, e.g. GSM8K's "main"; needed when the folder has several. */
  config?: string;
}

export interface HfDatasetRows {
  rows: Record<string, unknown>[];
  /** The files read, in order. */
  files: string[];
}

const DATA_FILE = /\.(parquet|jsonl|json)$/i;
const SPLIT_OF = /^(.+?)(-\d{5}-of-\d{5}.*)?\.(parquet|jsonl|json)$/i;

/** Rows of a dataset file (JSONL / JSON lines / Parquet) or of one split of an HF-style dataset folder. */
export async function readHfDataset(path: string, options: HfDatasetOptions = {}): Promise<HfDatasetRows> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new DatasetError(`dataset ${path}: no such file or folder`);
  if (info.isFile()) return { rows: await readDataset(path), files: [path] };
  const files = await splitFiles(path, options);
  const rows: Record<string, unknown>[] = [];
  for (const file of files) rows.push(...(await readDataset(file)));
  return { rows, files };
}

/** The files of `split` in a dataset folder (DatasetError listing the splits / configs there are). */
export async function splitFiles(dir: string, { split = "train", config }: HfDatasetOptions = {}): Promise<string[]> {
  const roots = config ? [join(dir, config), join(dir, "data", config)] : [dir, join(dir, "data")];
  const found: Record<string, string[]> = {};
  for (const root of roots) {
    for (const [name, files] of Object.entries(await splitsIn(root))) (found[name] ??= []).push(...files);
  }
  if (found[split]) return found[split].sort();
  if (Object.keys(found).length > 0) throw new DatasetError(`dataset ${dir}${config ? ` (config ${config})` : ""}: no split "${split}" (splits: ${Object.keys(found).sort().join(", ")})`);
  if (config) throw new DatasetError(`dataset ${dir}: no config folder "${config}" with data files (configs: ${(await configsIn(dir, split)).join(", ") || "none"})`);
  const configs = await configsIn(dir, split);
  if (configs.length === 1) return splitFiles(dir, { split, config: configs[0] });
  if (configs.length > 1) throw new DatasetError(`dataset ${dir}: several configs have a "${split}" split; choose one with "config" (configs: ${configs.join(", ")})`);
  throw new DatasetError(`dataset ${dir}: no data files (expected ${split}.parquet, ${split}-00000-of-00001.parquet, data/${split}-*.parquet or <config>/${split}-*.parquet; .jsonl works too)`);
}

/** Split name -> files directly in `root` or in `root/<split>/`. */
async function splitsIn(root: string): Promise<Record<string, string[]>> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const out: Record<string, string[]> = {};
  for (const entry of entries) {
    if (entry.isFile() && DATA_FILE.test(entry.name)) {
      const split = SPLIT_OF.exec(entry.name)![1];
      (out[split] ??= []).push(join(root, entry.name));
    } else if (entry.isDirectory()) {
      const inner = (await readdir(join(root, entry.name), { withFileTypes: true })).filter((e) => e.isFile() && DATA_FILE.test(e.name));
      if (inner.length > 0 && /^(train|test|validation|valid|dev|eval)$/i.test(entry.name)) out[entry.name] = inner.map((e) => join(root, entry.name, e.name));
    }
  }
  return out;
}

/** Subfolders (configs) of `dir` that have a `split`. */
async function configsIn(dir: string, split: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".") || entry.name === "data") continue;
    if ((await splitsIn(join(dir, entry.name)))[split]) out.push(entry.name);
  }
  return out.sort();
}
