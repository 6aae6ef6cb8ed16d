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

  // Found by the fuzzer (fuzz/targets/datasets.ts "parquet", seed 16, case 158): a 264-byte file whose
  // first DATA_PAGE_V2 header declares repetition levels for a flat column. hyparquet decodes them with
  // bit width 0 and grows one array without end, until V8 aborted the whole process ("invalid size
  // error"). Now the file is decoded in a child process with a heap limit and a time limit.
  it("a corrupt page that makes the decoder grow an array without end is a DatasetError, not an aborted process", async () => {
    const file = join(root, "runaway.parquet");
    await writeFile(file, Buffer.from(RUNAWAY_PARQUET, "hex"));
    const start = performance.now();
    const error = await readDataset(file).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not a readable Parquet file \(the decoder (ran out of memory|did not finish)/);
    expect(performance.now() - start).toBeLessThan(30_000);
    // The next file is read by a fresh decoder.
    const good = join(root, "after.parquet");
    await writeFile(good, new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "prompt", data: ["1+1"], type: "STRING" }] })));
    expect(await readDataset(good)).toEqual([{ prompt: "1+1" }]);
  }, 60_000);

  it("a page header that claims more values than its column chunk is refused before decoding", async () => {
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "id", data: [1, 2, 3], type: "INT32" }] }));
    // The first page header: type, sizes, then the DATA_PAGE_V2 struct (0x5c) whose first field (0x15)
    // is num_values, zigzag 3 = 0x06. Say 5 instead.
    const at = Buffer.from(bytes).indexOf(Buffer.from([0x5c, 0x15, 0x06]));
    expect(at).toBeGreaterThan(0);
    bytes[at + 2] = 0x0a;
    const file = join(root, "claims.parquet");
    await writeFile(file, bytes);
    await expect(readDataset(file)).rejects.toThrow(/claims.parquet: not a readable Parquet file \(row group 0, column "id", DATA_PAGE_V2 at byte 4: its pages claim 5 values, but the column chunk has 3\)/);
  });
});

const RUNAWAY_PARQUET =
  "504152311506151c15205c150615002406150015041500000003070c2cd17c0f51eeffff7f7bd35e6b1506151c15205c150615001506150015041500000003070c2c21e17487f0ffff7f0c3d3fe31504193c4804726f6f7415040015022502180670726f6d7074001502250218043c786055001606191c192c26081c150219150019180670726f6d7074150216061646164a26083c36002804eeffff7f1804d17c0f5100191c15061500150200000026521c15021915001918043c786055150216061646164a26523c36002804f0ffff7f180421e1748700191c150615001502000000168c011606369401002809687970617271756574192c1c00001c000000b200000050415231";
