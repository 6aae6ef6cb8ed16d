/** Datasets as JSON Lines files: one JSON object per line; a bad line fails naming the file and line. */
import { readFile } from "node:fs/promises";
import { R1tsError } from "../errors.ts";
import { previewValue } from "../util/preview.ts";

export class DatasetError extends R1tsError {}

export async function readJsonlDataset(file: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DatasetError(`dataset ${file}: cannot read it (${(error as Error).message})`);
  }
  const rows: Record<string, unknown>[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new DatasetError(`dataset ${file}, line ${i + 1}: not valid JSON (${(error as Error).message})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DatasetError(`dataset ${file}, line ${i + 1}: expected a JSON object, got ${previewValue(value, 60)}`);
    rows.push(value as Record<string, unknown>);
  });
  return rows;
}

/** The string in `column` of each row; fails naming the row and column when it is missing or not a string. */
export function stringColumn(rows: readonly Record<string, unknown>[], column: string, file: string): string[] {
  return rows.map((r, i) => {
    const v = r[column];
    if (typeof v !== "string") throw new DatasetError(`dataset ${file}, row ${i + 1}: column "${column}" must be a string, got ${(v === undefined ? "nothing" : previewValue(v, 60))}`);
    return v;
  });
}
