/**
 * Checks a Parquet file's promises before it is decoded. A decoder sizes its arrays from the file's own
 * counts (a page header's num_values, a page's uncompressed size); a corrupt or hostile file that claims
 * 2^31 values in a 300-byte page makes V8 abort the process ("invalid size error"), which no catch
 * stops. So every column chunk must lie inside the file, every page header must parse, fit its chunk,
 * and claim no more values than the chunk's metadata and no more bytes than its codec can expand to.
 */
import { parquetMetadata } from "hyparquet";
import type { FileMetaData } from "hyparquet";
import { ThriftError, ThriftReader } from "./thrift-compact.ts";
import type { ThriftStruct } from "./thrift-compact.ts";

/** Rows (and values per column chunk) above this do not fit in JavaScript arrays; split the file. */
export const MAX_PARQUET_VALUES = 50_000_000;
/** A page's uncompressed size above this is refused (1 GiB). */
export const MAX_PARQUET_PAGE_BYTES = 2 ** 30;
/** Snappy cannot expand data more than about 21x (a 64-byte copy takes 3 bytes); with slack. */
const SNAPPY_MAX_RATIO = 32;

const PAGE_TYPES: Record<number, string> = { 0: "DATA_PAGE", 1: "INDEX_PAGE", 2: "DICTIONARY_PAGE", 3: "DATA_PAGE_V2" };

/** Reads the metadata and walks every page header; returns the metadata, or throws a message (no file name). */
export function checkParquetLimits(buffer: ArrayBuffer): FileMetaData {
  const metadata = parquetMetadata(buffer);
  const bytes = new Uint8Array(buffer);
  const rows = Number(metadata.num_rows);
  if (!(rows >= 0 && rows <= MAX_PARQUET_VALUES)) throw new Error(`the file claims ${metadata.num_rows} rows (at most ${MAX_PARQUET_VALUES} per file; split it)`);
  const dataEnd = bytes.length - 8 - metadata.metadata_length;
  metadata.row_groups.forEach((group, g) => {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (meta === undefined) throw new Error(`row group ${g}: a column has no metadata`);
      const column = `row group ${g}, column "${meta.path_in_schema.join(".")}"`;
      const values = Number(meta.num_values);
      if (!(values >= 0 && values <= MAX_PARQUET_VALUES)) throw new Error(`${column}: claims ${meta.num_values} values (at most ${MAX_PARQUET_VALUES})`);
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
      const end = start + Number(meta.total_compressed_size);
      if (!(start >= 4 && end >= start && end <= dataEnd)) throw new Error(`${column}: bytes ${start}..${end} are not inside the data (4..${dataEnd})`);
      checkPages(bytes, start, end, values, meta.codec, column);
    }
  });
  return metadata;
}

function checkPages(bytes: Uint8Array, start: number, end: number, chunkValues: number, codec: string, column: string): void {
  let offset = start;
  let seen = 0;
  while (offset < end && seen < chunkValues) {
    let header: ThriftStruct;
    const reader = new ThriftReader(bytes, offset, end);
    try {
      header = reader.struct();
    } catch (error) {
      if (error instanceof ThriftError) throw new Error(`${column}: page header at byte ${offset} is corrupt (${error.message})`);
      throw error;
    }
    const where = `${column}, ${PAGE_TYPES[header.get(1) as number] ?? "page"} at byte ${offset}`;
    const uncompressed = header.get(2);
    const compressed = header.get(3);
    if (typeof uncompressed !== "number" || typeof compressed !== "number" || uncompressed < 0 || compressed < 0) {
      throw new Error(`${where}: page sizes must be non-negative integers (uncompressed ${uncompressed}, compressed ${compressed})`);
    }
    const pageEnd = reader.offset + compressed;
    if (pageEnd > end) throw new Error(`${where}: its ${compressed} bytes run past the column chunk's end at byte ${end}`);
    const limit = codec === "UNCOMPRESSED" ? compressed : codec === "SNAPPY" ? compressed * SNAPPY_MAX_RATIO + 1024 : MAX_PARQUET_PAGE_BYTES;
    if (uncompressed > Math.min(limit, MAX_PARQUET_PAGE_BYTES)) throw new Error(`${where}: claims ${uncompressed} uncompressed bytes from ${compressed} ${codec} bytes`);
    const dataPage = (header.get(5) ?? header.get(8)) as ThriftStruct | undefined;
    const dictionary = header.get(7) as ThriftStruct | undefined;
    const count = (dataPage instanceof Map ? dataPage : dictionary instanceof Map ? dictionary : undefined)?.get(1);
    if (count !== undefined && (typeof count !== "number" || count < 0 || count > MAX_PARQUET_VALUES)) throw new Error(`${where}: claims ${count} values`);
    if (dataPage instanceof Map) {
      seen += count as number;
      if (seen > chunkValues) throw new Error(`${where}: its pages claim ${seen} values, but the column chunk has ${chunkValues}`);
    }
    offset = pageEnd;
  }
}
