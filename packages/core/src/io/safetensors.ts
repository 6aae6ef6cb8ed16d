/**
 * The safetensors file format (https://github.com/huggingface/safetensors, "Format" section):
 *
 *   8 bytes   N, little-endian u64: the header size
 *   N bytes   UTF-8 JSON object { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {..} }
 *   rest      the byte buffer; offsets are relative to its start, little-endian element data,
 *             and the tensors must cover it exactly (no overlaps, no holes).
 *
 * The writer pads the header with spaces to a multiple of 8 bytes and lays tensors out by element
 * size (largest first) then name, so that every tensor starts at a multiple of its element size
 * without holes. The reader validates everything before touching data and copies each tensor out,
 * so the returned typed arrays are aligned and own their memory.
 */
import { readFile } from "node:fs/promises";
import { R1tsError } from "../errors.ts";
import { type DType, type TypedArray, allocateStorage, bytesPerElement, isStorageOf } from "../tensor/dtype.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { previewValue } from "../util/preview.ts";

/** A tensor held in host memory: its dtype, shape and storage typed array (see dtype.ts). */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export interface SafetensorsContents {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
}

/** A malformed or unsupported safetensors file; the message names the file and the tensor. */
export class SafetensorsError extends R1tsError {
  constructor(
    readonly source: string,
    readonly tensor: string | undefined,
    readonly problem: string,
  ) {
    super(`${source}${tensor === undefined ? "" : `: tensor "${tensor}"`}: ${problem}`);
  }
}

/** The safetensors dtype names r1ts supports, and the r1ts dtype of each. */
const FROM_SAFETENSORS: Readonly<Record<string, DType>> = {
  F32: "f32",
  F16: "f16",
  BF16: "bf16",
  I32: "i32",
  U8: "u8",
  BOOL: "bool",
  F8_E4M3: "f8e4m3",
  F8_E5M2: "f8e5m2",
};

const TO_SAFETENSORS: Readonly<Record<DType, string>> = {
  f32: "F32",
  f16: "F16",
  bf16: "BF16",
  i32: "I32",
  u8: "U8",
  bool: "BOOL",
  f8e4m3: "F8_E4M3",
  f8e5m2: "F8_E5M2",
};

/** Largest header accepted, as in the reference implementation (guards against absurd allocations). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";
const DEFAULT_SOURCE = "<safetensors buffer>";

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndianHost(source: string): void {
  if (!hostIsLittleEndian) throw new SafetensorsError(source, undefined, "big-endian hosts are not supported");
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function isDim(d: unknown): d is number {
  return typeof d === "number" && Number.isSafeInteger(d) && d >= 0;
}

// ---------------------------------------------------------------- writing

/** Encode tensors (and optional string metadata) as safetensors bytes. */
export function serializeSafetensors(
  tensors: Record<string, HostTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const source = "serializeSafetensors";
  assertLittleEndianHost(source);
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsError(source, name, "this name is reserved for metadata");
    checkHostTensor(source, name, tensors[name]);
  }
  if (metadata !== undefined) checkMetadata(source, metadata);

  // Data layout: larger elements first so each tensor is aligned to its element size, then by name.
  const layout = [...names].sort(
    (a, b) => bytesPerElement(tensors[b].dtype) - bytesPerElement(tensors[a].dtype) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const offsets = new Map<string, [number, number]>();
  let cursor = 0;
  for (const name of layout) {
    const length = tensors[name].data.byteLength;
    offsets.set(name, [cursor, cursor + length]);
    cursor += length;
  }

  // Object.fromEntries defines own properties, so even a tensor named "__proto__" is kept.
  const header = Object.fromEntries([
    ...(metadata !== undefined && Object.keys(metadata).length > 0 ? [[METADATA_KEY, metadata] as const] : []),
    ...names.map((name) => {
      const { dtype, shape } = tensors[name];
      return [name, { dtype: TO_SAFETENSORS[dtype], shape, data_offsets: offsets.get(name) }] as const;
    }),
  ]);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLength + cursor);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // pad with spaces
  const dataStart = 8 + headerLength;
  for (const name of layout) {
    const { data } = tensors[name];
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dataStart + offsets.get(name)![0]);
  }
  return out;
}

function checkHostTensor(source: string, name: string, tensor: HostTensor): void {
  const { dtype, shape, data } = tensor;
  if (!(dtype in TO_SAFETENSORS)) throw new SafetensorsError(source, name, `unsupported dtype "${String(dtype)}"`);
  if (!Array.isArray(shape) || !shape.every(isDim)) {
    throw new SafetensorsError(source, name, `shape must be an array of non-negative integers, got ${previewValue(shape)}`);
  }
  if (!isStorageOf(dtype, data)) {
    throw new SafetensorsError(source, name, `data is a ${data.constructor.name}, not the storage of dtype ${dtype}`);
  }
  const count = elementCount(shape);
  if (data.length !== count) {
    throw new SafetensorsError(source, name, `shape [${shape.join(", ")}] has ${count} elements but data has ${data.length}`);
  }
}

function checkMetadata(source: string, metadata: unknown): asserts metadata is Record<string, string> {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new SafetensorsError(source, undefined, `"${METADATA_KEY}" must be an object of strings`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new SafetensorsError(source, undefined, `"${METADATA_KEY}" value of "${key}" must be a string, got ${typeof value}`);
    }
  }
}

// ---------------------------------------------------------------- reading

/** One tensor of a safetensors header: its dtype, shape and byte range within the data buffer. */
export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** A validated safetensors header: entries in header order, metadata, and where the data buffer starts. */
export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file (8 + header length). */
  dataStart: number;
}

/** The header length N from the first 8 bytes of a file of `fileBytes` bytes (validated). */
export function safetensorsHeaderLength(first8: Uint8Array, fileBytes: number, source: string = DEFAULT_SOURCE): number {
  assertLittleEndianHost(source);
  if (fileBytes < 8 || first8.length < 8) {
    throw new SafetensorsError(source, undefined, `file is ${fileBytes} bytes, shorter than the 8-byte header length`);
  }
  const headerLength = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(source, undefined, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(headerLength);
  if (8 + n > fileBytes) {
    throw new SafetensorsError(source, undefined, `header length ${n} is larger than the ${fileBytes - 8} bytes after it (truncated file?)`);
  }
  return n;
}

/**
 * Validates the header bytes (the N bytes after the length) of a file of `fileBytes` bytes: every entry,
 * and that the tensors tile the data buffer exactly (so a truncated or padded file fails here).
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, fileBytes: number, source: string = DEFAULT_SOURCE): SafetensorsHeader {
  const header = parseHeaderJson(headerBytes, source);
  let metadata: Record<string, string> = {};
  if (Object.hasOwn(header, METADATA_KEY)) {
    const raw = header[METADATA_KEY];
    checkMetadata(source, raw);
    metadata = Object.fromEntries(Object.entries(raw));
  }
  const dataStart = 8 + headerBytes.length;
  const bufferLength = fileBytes - dataStart;
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, info]) => parseEntry(source, name, info, bufferLength));
  checkCoverage(source, entries, bufferLength);
  return { entries, metadata, dataStart };
}

/** Decode safetensors bytes. `source` (e.g. the file path) is named in every error. */
export function parseSafetensors(bytes: Uint8Array, source: string = DEFAULT_SOURCE): SafetensorsContents {
  const n = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length, source);
  const { entries, metadata } = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length, source);
  const buffer = bytes.subarray(8 + n);

  const tensors = Object.fromEntries(
    entries.map(({ name, dtype, shape, begin, end }): [string, HostTensor] => {
      const data = allocateStorage(dtype, elementCount(shape));
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(buffer.subarray(begin, end));
      return [name, { dtype, shape, data }];
    }),
  );
  return { tensors, metadata };
}

function parseHeaderJson(raw: Uint8Array, source: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch (error) {
    throw new SafetensorsError(source, undefined, `header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError(source, undefined, "header must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function parseEntry(source: string, name: string, info: unknown, bufferLength: number): SafetensorsEntry {
  const fail = (problem: string): never => {
    throw new SafetensorsError(source, name, problem);
  };
  if (typeof info !== "object" || info === null || Array.isArray(info)) fail("entry must be an object");
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;

  if (typeof dtype !== "string") fail(`"dtype" must be a string, got ${previewValue(dtype)}`);
  const r1tsDType = Object.hasOwn(FROM_SAFETENSORS, dtype as string) ? FROM_SAFETENSORS[dtype as string] : undefined;
  if (r1tsDType === undefined) {
    fail(`unsupported dtype "${dtype}" (supported: ${Object.keys(FROM_SAFETENSORS).join(", ")})`);
  }

  if (!Array.isArray(shape)) fail(`"shape" must be an array, got ${previewValue(shape)}`);
  const dims = shape as unknown[];
  if (!dims.every(isDim)) fail(`"shape" ${previewValue(shape)} must hold non-negative integers`);

  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDim)) {
    fail(`"data_offsets" must be [begin, end] with non-negative integers, got ${previewValue(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`data_offsets [${begin}, ${end}]: end is before begin`);
  if (end > bufferLength) fail(`data_offsets [${begin}, ${end}] go past the end of the ${bufferLength}-byte data buffer`);

  const count = elementCount(dims as number[]);
  const expected = count * bytesPerElement(r1tsDType!);
  if (end - begin !== expected) {
    fail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} shape [${dims.join(", ")}] needs ${expected}`);
  }
  return { name, dtype: r1tsDType!, shape: dims as number[], begin, end };
}

/** The tensors must tile the data buffer exactly: sorted by offset, each begins where the last ended. */
function checkCoverage(source: string, entries: SafetensorsEntry[], bufferLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin < cursor) {
      throw new SafetensorsError(source, entry.name, `data_offsets [${entry.begin}, ${entry.end}] overlap tensor "${previous!.name}" (which ends at ${cursor})`);
    }
    if (entry.begin > cursor) {
      throw new SafetensorsError(source, entry.name, `data_offsets [${entry.begin}, ${entry.end}] leave a hole: bytes ${cursor}..${entry.begin} belong to no tensor`);
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== bufferLength) {
    throw new SafetensorsError(source, undefined, `data buffer is ${bufferLength} bytes but tensors cover only ${cursor} (trailing bytes)`);
  }
}

// ---------------------------------------------------------------- files

/** Read and validate a .safetensors file. */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  const bytes = await readFile(path);
  return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** Write a .safetensors file atomically (temp file, fsync, rename). */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, HostTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
