// Decodes Parquet files in a child process (plain JavaScript: it runs without a TypeScript loader).
// A process, not a worker thread: a corrupt run length can make a decoder grow one array until V8
// aborts ("invalid size error", or a fatal out-of-memory that a worker's heap limit does not catch),
// which ends a whole process. The parent has checked each file's counts and sizes (parquet-limits.ts),
// and kills this process if a decode runs past its time limit (a corrupt run header can loop forever).
import { parquetReadObjects } from "hyparquet";

process.on("message", async ({ id, bytes, metadata }) => {
  try {
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const rows = await parquetReadObjects({ file, metadata });
    // BigInt columns (INT64) become numbers when they fit, so rows behave like JSON rows.
    const plain = rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" && Number.isSafeInteger(Number(v)) ? Number(v) : v])));
    process.send({ id, rows: plain });
  } catch (error) {
    process.send({ id, error: `${error?.name ?? "Error"}: ${error?.message ?? String(error)}` });
  }
});
