/**
 * safetensors files (readSafetensors): valid files from random tensors with bytes cut, flipped, spliced
 * or dropped; hand-made headers with random dtypes, shapes, offsets, metadata and header lengths; and
 * random bytes.
 */
import { writeFile } from "node:fs/promises";
import fc from "fast-check";
import { ALL_DTYPES, allocateStorage, readSafetensors, serializeSafetensors } from "@r1ts/core";
import type { HostTensor } from "@r1ts/core";
import { awkwardJson, awkwardNumber, concat, expandDeep, hex, mutated } from "./arbitraries.ts";
import { defineTarget } from "../harness/target.ts";

const tensor: fc.Arbitrary<HostTensor> = fc
  .tuple(fc.constantFrom(...ALL_DTYPES), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), fc.uint8Array({ maxLength: 256 }))
  .map(([dtype, shape, noise]) => {
    const data = allocateStorage(dtype, shape.reduce((a, b) => a * b, 1));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < bytes.length && noise.length > 0; i++) bytes[i] = noise[i % noise.length];
    return { dtype, shape, data };
  });

const validFile = fc
  .tuple(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tensor, { maxKeys: 4 }), fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }), { nil: undefined }))
  .map(([tensors, metadata]) => {
    delete (tensors as Record<string, unknown>).__metadata__;
    return serializeSafetensors(tensors, metadata);
  });

const SAFETENSORS_DTYPES = ["F32", "F16", "BF16", "I32", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "F64", "I64", "f32", ""];

const entry = fc.record(
  {
    dtype: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SAFETENSORS_DTYPES) }, { weight: 1, arbitrary: awkwardJson }),
    shape: fc.oneof({ weight: 4, arbitrary: fc.array(awkwardNumber, { maxLength: 4 }) }, { weight: 1, arbitrary: awkwardJson }),
    data_offsets: fc.oneof(
      { weight: 4, arbitrary: fc.tuple(awkwardNumber, awkwardNumber) },
      { weight: 1, arbitrary: fc.array(awkwardNumber, { maxLength: 3 }) },
      { weight: 1, arbitrary: awkwardJson },
    ),
  },
  { requiredKeys: [] },
);

/** A header written by hand: entries, maybe metadata, a data buffer, and a header length that may lie. */
const craftedFile = fc
  .tuple(
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constant("__metadata__")), fc.oneof({ weight: 5, arbitrary: entry }, { weight: 1, arbitrary: awkwardJson }), { maxKeys: 4 }),
    fc.nat({ max: 300 }),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant("exact" as const) },
      { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
      { weight: 1, arbitrary: fc.constantFrom(0n, 1n, 7n, 2n ** 63n, 2n ** 64n - 1n, 100_000_001n) },
    ),
    fc.oneof({ weight: 5, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constantFrom("\uFEFF", " ", "\u0000", "[]", "null", "\"x\"", "{", "\uD800") }),
  )
  .map(([header, dataLength, lengthField, junk]) => {
    const headerText = expandDeep(JSON.stringify(header));
    const json = new TextEncoder().encode(junk === "" ? headerText : junk === "{" || junk === "\uFEFF" ? junk + headerText : junk);
    const out = concat(new Uint8Array(8), json, new Uint8Array(dataLength).fill(7));
    new DataView(out.buffer).setBigUint64(0, lengthField === "exact" ? BigInt(json.length) : lengthField, true);
    return out;
  });

export const safetensorsTarget = defineTarget<Uint8Array>({
  name: "safetensors",
  description: "readSafetensors: random headers, offsets, dtypes and shapes; truncated and corrupted files",
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: mutated(validFile, 3) },
    { weight: 4, arbitrary: craftedFile },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  ),
  async write(bytes, files) {
    const file = files.path("model.safetensors");
    await writeFile(file, bytes);
    return file;
  },
  read: (file) => readSafetensors(file),
  preview: (bytes, max) => hex(bytes, max),
});
