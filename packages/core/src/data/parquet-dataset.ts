/** Datasets as Parquet files (Hugging Face's format for datasets), read whole with hyparquet. */
import { readFile } from "node:fs/promises";
import { parquetReadObjects } from "hyparquet";
import { DatasetError, readJsonlDataset } from "./jsonl-dataset.ts";

export async function readParquetDataset(file: string): Promise<Record<string, unknown>[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetError(`dataset ${file}: cannot read it (${(error as Error).message})`);
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const rows = await parquetReadObjects({ file: buffer });
    // BigInt columns (INT64) become numbers when they fit, so rows behave like JSON rows.
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" && Number.isSafeInteger(Number(v)) ? Number(v) : v])));
  } catch (error) {
    throw new DatasetError(`dataset ${file}: not a readable Parquet file (${(error as Error).message})`);
  }
}

/** Rows of a JSONL (.jsonl / .json) or Parquet (.parquet) dataset, by the file's extension. */
export async function readDataset(file: string): Promise<Record<string, unknown>[]> {
  if (/\.parquet$/i.test(file)) return readParquetDataset(file);
  return readJsonlDataset(file);
}
