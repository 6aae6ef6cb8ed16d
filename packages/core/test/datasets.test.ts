/** JSONL and Parquet datasets: the same rows from either format; errors name the file and line. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetError, readDataset, stringColumn } from "../src/index.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-datasets-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const rows = [
  { prompt: "12+7", answer: "19", id: 1 },
  { prompt: "45+45", answer: "90", id: 2 },
  { prompt: "3+98", answer: "101", id: 3 },
];

describe("datasets", () => {
  it("reads the same rows from JSONL and Parquet", async () => {
    const jsonl = join(root, "rows.jsonl");
    await writeFile(jsonl, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const parquet = join(root, "rows.parquet");
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: "prompt", data: rows.map((r) => r.prompt), type: "STRING" },
        { name: "answer", data: rows.map((r) => r.answer), type: "STRING" },
        { name: "id", data: rows.map((r) => r.id), type: "INT32" },
      ],
    });
    await writeFile(parquet, new Uint8Array(buffer));
    expect(await readDataset(jsonl)).toEqual(rows);
    expect(await readDataset(parquet)).toEqual(rows);
    expect(stringColumn(await readDataset(parquet), "prompt", parquet)).toEqual(["12+7", "45+45", "3+98"]);
  });

  it("names the file, line, row and column of bad data", async () => {
    const bad = join(root, "bad.jsonl");
    await writeFile(bad, '{"prompt": "1+1"}\n{"prompt": \n');
    await expect(readDataset(bad)).rejects.toThrow(/bad.jsonl, line 2: not valid JSON/);
    await writeFile(bad, '{"prompt": "1+1"}\n[1, 2]\n');
    await expect(readDataset(bad)).rejects.toThrow(/line 2: expected a JSON object/);
    expect(() => stringColumn([{ prompt: 3 }], "prompt", "d.jsonl")).toThrow(/d.jsonl, row 1: column "prompt" must be a string, got 3/);
    const notParquet = join(root, "x.parquet");
    await writeFile(notParquet, "not parquet at all");
    await expect(readDataset(notParquet)).rejects.toThrow(DatasetError);
    await expect(readDataset(join(root, "missing.jsonl"))).rejects.toThrow(/cannot read it/);
  });
});
