/**
 * Datasets as Parquet files (Hugging Face's format for datasets), read whole with hyparquet. The file's
 * counts and sizes are checked first (parquet-limits.ts), then it is decoded in a worker thread with a
 * child process with a time limit and a heap limit, so a corrupt file fails with a DatasetError instead
 * of hanging, exhausting memory or aborting the process.
 */
import { readFile } from "node:fs/promises";
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DatasetError, readJsonlDataset } from "./jsonl-dataset.ts";
import { checkParquetLimits } from "./parquet-limits.ts";

export interface ParquetReadOptions {
  /** Decoding time limit (ms); default 30 s plus 2 s per MiB of file. */
  timeoutMs?: number;
  /** Heap limit of the decoding worker (MiB); default 4096. */
  memoryLimitMb?: number;
}

export async function readParquetDataset(file: string, options: ParquetReadOptions = {}): Promise<Record<string, unknown>[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetError(`dataset ${file}: cannot read it (${(error as Error).message})`, { cause: error });
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: unknown;
  try {
    metadata = checkParquetLimits(buffer);
  } catch (error) {
    throw new DatasetError(`dataset ${file}: not a readable Parquet file (${(error as Error).message})`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000 + 2000 * (buffer.byteLength / 2 ** 20);
  const memoryLimitMb = options.memoryLimitMb ?? Math.min(8192, Math.ceil(256 + 64 * (buffer.byteLength / 2 ** 20)));
  const reply = await decodeInChild(new Uint8Array(buffer), metadata, timeoutMs, memoryLimitMb);
  if ("rows" in reply) return reply.rows;
  throw new DatasetError(`dataset ${file}: not a readable Parquet file (${reply.error})`);
}

type Reply = { rows: Record<string, unknown>[] } | { error: string };

/** One decoding process, reused while it behaves (unref'd when idle); decodes run one at a time. */
let decoder: { child: ChildProcess; memoryLimitMb: number } | undefined;
let queue: Promise<unknown> = Promise.resolve();
let nextId = 0;

function decodeInChild(bytes: Uint8Array, metadata: unknown, timeoutMs: number, memoryLimitMb: number): Promise<Reply> {
  const run = queue.then(() => decodeOnce(bytes, metadata, timeoutMs, memoryLimitMb));
  queue = run.catch(() => undefined);
  return run;
}

function startDecoder(memoryLimitMb: number): ChildProcess {
  return fork(fileURLToPath(new URL("./parquet-decoder-process.mjs", import.meta.url)), [], {
    serialization: "advanced",
    execArgv: [`--max-old-space-size=${memoryLimitMb}`],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
}

function decodeOnce(bytes: Uint8Array, metadata: unknown, timeoutMs: number, memoryLimitMb: number): Promise<Reply> {
  // A process's heap limit is fixed when it starts: one started for a smaller file is replaced.
  if (decoder !== undefined && decoder.memoryLimitMb !== memoryLimitMb) {
    decoder.child.kill("SIGKILL");
    decoder = undefined;
  }
  const child = decoder?.child ?? startDecoder(memoryLimitMb);
  decoder = { child, memoryLimitMb };
  child.ref();
  child.channel?.ref();
  const id = nextId++;
  let stderr = "";
  const onStderr = (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000));
  child.stderr?.on("data", onStderr);
  return new Promise((resolve) => {
    const finish = (reply: Reply, healthy: boolean) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("error", onError);
      child.off("exit", onExit);
      child.stderr?.off("data", onStderr);
      if (healthy) {
        child.unref();
        child.channel?.unref();
      } else {
        if (decoder?.child === child) decoder = undefined;
        child.kill("SIGKILL");
      }
      resolve(reply);
    };
    const onMessage = (reply: Reply & { id: number }) => {
      if (reply.id === id) finish(reply, true);
    };
    const onError = (error: Error) => finish({ error: `the decoder failed: ${error.message}` }, false);
    const onExit = (code: number | null, signal: string | null) => {
      const why = /heap out of memory|invalid size error|Reached heap limit/.test(stderr) ? "ran out of memory (a corrupt size or run length?)" : `stopped (${signal ?? `exit code ${code}`})`;
      finish({ error: `the decoder ${why}` }, false);
    };
    const timer = setTimeout(() => finish({ error: `decoding did not finish within ${Math.round(timeoutMs)} ms; the file is corrupt (or raise timeoutMs)` }, false), timeoutMs);
    child.on("message", onMessage);
    child.once("error", onError);
    child.once("exit", onExit);
    child.send({ id, bytes, metadata });
  });
}

/** Rows of a JSONL (.jsonl / .json) or Parquet (.parquet) dataset, by the file's extension. */
export async function readDataset(file: string): Promise<Record<string, unknown>[]> {
  if (/\.parquet$/i.test(file)) return readParquetDataset(file);
  return readJsonlDataset(file);
}
