/**
 * Datasets as a run reads them (readDataset, then the prompt column with stringColumn): JSONL files of
 * rows, broken lines, non-object values, CRLF and BOMs, invalid UTF-8; Parquet files written by
 * hyparquet-writer with random columns, then cut, flipped, spliced or dropped; and random bytes.
 */
import { writeFile } from "node:fs/promises";
import fc from "fast-check";
import { parquetWriteBuffer } from "hyparquet-writer";
import { readDataset, readParquetDataset, stringColumn } from "@r1ts/core";
import { DEEP, awkwardJson, clip, expandDeep, hex, mutated } from "./arbitraries.ts";
import { defineTarget } from "../harness/target.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

const row = fc.record({ prompt: fc.oneof({ weight: 5, arbitrary: fc.string({ maxLength: 20 }) }, { weight: 1, arbitrary: awkwardJson }), answer: awkwardJson }, { requiredKeys: [] });

const line: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: row.map((r) => utf8(expandDeep(JSON.stringify(r)))) },
  { weight: 2, arbitrary: awkwardJson.map((v) => utf8(expandDeep(JSON.stringify(v)))) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "\r", "\uFEFF{\"prompt\":\"x\"}", "{\"prompt\":\"a\",\"prompt\":1}", "{\"__proto__\":{\"prompt\":\"p\"}}", `{"prompt":"${DEEP}"}`).map((t) => utf8(expandDeep(t))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map(utf8) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }) },
);

const jsonl = fc.tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom("\n", "\r\n")).map(([lines, eol]) => {
  const parts: Uint8Array[] = [];
  lines.forEach((l, i) => parts.push(...(i > 0 ? [utf8(eol)] : []), l));
  return Buffer.concat(parts);
});

type ParquetType = "STRING" | "INT32" | "DOUBLE" | "BOOLEAN" | "INT64";
const column = fc.constantFrom<ParquetType>("STRING", "INT32", "DOUBLE", "BOOLEAN", "INT64").chain((type) =>
  fc.record({
    name: fc.oneof(fc.constant("prompt"), fc.string({ minLength: 1, maxLength: 6 })),
    type: fc.constant(type),
    data: fc.array(
      fc.option<unknown>(
        type === "STRING" ? fc.string({ maxLength: 10 })
          : type === "INT32" ? fc.integer()
            : type === "INT64" ? fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
              : type === "DOUBLE" ? fc.double()
                : fc.boolean(),
        { freq: 5 },
      ),
      { minLength: 3, maxLength: 3 },
    ),
  }),
);

const validParquet = fc.uniqueArray(column, { minLength: 1, maxLength: 3, selector: (c) => c.name }).map((columnData) =>
  new Uint8Array(parquetWriteBuffer({ columnData: columnData as Parameters<typeof parquetWriteBuffer>[0]["columnData"] })));

interface DatasetCase {
  format: "jsonl" | "parquet";
  bytes: Uint8Array;
}

function datasetTarget(name: string, format: DatasetCase["format"], description: string, bytes: fc.Arbitrary<Uint8Array>) {
  return defineTarget<DatasetCase>({
    name,
    description,
    arbitrary: bytes.map((b) => ({ format, bytes: b })),
    async write(input, files) {
      const file = files.path(`train.${input.format}`);
      await writeFile(file, input.bytes);
      return file;
    },
    // Parquet decoding stops after 2 s here (30 s by default), inside the harness's per-case limit.
    async read(file) {
      return stringColumn(format === "parquet" ? await readParquetDataset(file, { timeoutMs: 2000 }) : await readDataset(file), "prompt", file);
    },
    preview: (input, max) => (input.format === "jsonl" ? clip(Buffer.from(input.bytes).toString("utf8"), max) : hex(input.bytes, max)),
  });
}

export const jsonlTarget = datasetTarget("jsonl", "jsonl", "readDataset + stringColumn on JSONL: rows, broken lines, non-objects, CRLF, BOMs, invalid UTF-8", jsonl);

export const parquetTarget = datasetTarget("parquet", "parquet", "readDataset + stringColumn on Parquet: hyparquet-writer files with random columns, corrupted; random bytes", fc.oneof(
  { weight: 2, arbitrary: validParquet },
  { weight: 6, arbitrary: mutated(validParquet, 3) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([utf8("PAR1"), b, utf8("PAR1")])) },
));
