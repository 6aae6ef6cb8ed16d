import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type HostTensor,
  SafetensorsError,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from "../src/io/safetensors.ts";
import { bytesPerElement } from "../src/tensor/dtype.ts";

const SOURCE = "bad.safetensors";

/** A file with the given raw header text (unpadded) and data buffer bytes. */
function rawFile(header: string, data: number[] = [], headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** A file whose header is `header` serialised as JSON. */
function file(header: unknown, data: number[] = []): Uint8Array {
  return rawFile(JSON.stringify(header), data);
}

function parseError(bytes: Uint8Array): SafetensorsError {
  try {
    parseSafetensors(bytes, SOURCE);
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    expect((error as Error).message).toContain(SOURCE);
    return error as SafetensorsError;
  }
  throw new Error("expected parseSafetensors to throw");
}

const allDTypes: Record<string, HostTensor> = {
  f32_scalar: { dtype: "f32", shape: [], data: new Float32Array([3.5]) },
  f32: { dtype: "f32", shape: [2, 3], data: new Float32Array([1, -2, 3.25, 0, -0, 1e-30]) },
  i32: { dtype: "i32", shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
  i32_empty: { dtype: "i32", shape: [2, 0], data: new Int32Array(0) },
  f16: { dtype: "f16", shape: [2, 2], data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]) },
  bf16: { dtype: "bf16", shape: [1, 3], data: new Uint16Array([0x3f80, 0x4040, 0xff80]) },
  u8: { dtype: "u8", shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
  u8_scalar: { dtype: "u8", shape: [], data: new Uint8Array([9]) },
  bool: { dtype: "bool", shape: [4], data: new Uint8Array([1, 0, 0, 1]) },
  f8e4m3: { dtype: "f8e4m3", shape: [3], data: new Uint8Array([0x1d, 0x38, 0xbe]) },
  f8e5m2: { dtype: "f8e5m2", shape: [2, 1], data: new Uint8Array([0x3c, 0x7b]) },
  f16_empty: { dtype: "f16", shape: [0], data: new Uint16Array(0) },
};

describe("safetensors round trip", () => {
  it("round-trips every dtype, 0-d and empty tensors, and metadata", () => {
    const bytes = serializeSafetensors(allDTypes, { format: "pt", note: "héllo" });
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ format: "pt", note: "héllo" });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(allDTypes).sort());
    for (const [name, t] of Object.entries(allDTypes)) {
      expect(tensors[name].dtype).toBe(t.dtype);
      expect(tensors[name].shape).toEqual(t.shape);
      expect(tensors[name].data.constructor).toBe(t.data.constructor);
      expect(Array.from(tensors[name].data)).toEqual(Array.from(t.data));
    }
    expect(Object.is(tensors.f32.data[4], -0)).toBe(true);
  });

  it("pads the header to 8 bytes, aligns every tensor and covers the buffer exactly", () => {
    const bytes = serializeSafetensors(allDTypes);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toBeUndefined();
    expect(Object.keys(header)).toEqual(Object.keys(allDTypes).sort()); // keys in name order
    const spans = Object.entries(header as Record<string, { dtype: string; data_offsets: [number, number] }>).map(
      ([name, info]) => ({ name, begin: info.data_offsets[0], end: info.data_offsets[1] }),
    );
    for (const { name, begin } of spans) expect(begin % bytesPerElement(allDTypes[name].dtype)).toBe(0);
    const total = spans.reduce((sum, s) => sum + s.end - s.begin, 0);
    expect(8 + n + total).toBe(bytes.length);
  });

  it("returns aligned copies even when the input bytes are at an odd offset", () => {
    const bytes = serializeSafetensors({ w: { dtype: "f32", shape: [2], data: new Float32Array([1.5, -7]) } });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const view = shifted.subarray(1);
    const { tensors } = parseSafetensors(view);
    expect(tensors.w.data).toBeInstanceOf(Float32Array);
    expect(Array.from(tensors.w.data)).toEqual([1.5, -7]);
    shifted.fill(0);
    expect(Array.from(tensors.w.data)).toEqual([1.5, -7]); // owns its memory
  });

  it("keeps a tensor named __proto__ as an ordinary entry", () => {
    const tensors = Object.fromEntries([["__proto__", { dtype: "u8", shape: [1], data: new Uint8Array([7]) }]]);
    const parsed = parseSafetensors(serializeSafetensors(tensors as Record<string, HostTensor>)).tensors;
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
    expect(Array.from(Object.getOwnPropertyDescriptor(parsed, "__proto__")!.value.data)).toEqual([7]);
  });
});

describe("safetensors golden bytes", () => {
  it("writes exactly the bytes of the format", () => {
    const bytes = serializeSafetensors(
      {
        b: { dtype: "u8", shape: [3], data: new Uint8Array([1, 2, 3]) },
        a: { dtype: "f32", shape: [2], data: new Float32Array([1, -2]) },
      },
      { format: "pt" },
    );
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}';
    expect(header.length).toBe(138); // padded with 6 spaces to 144 = 18 * 8
    const expected = [
      ...[144, 0, 0, 0, 0, 0, 0, 0], // u64 little-endian header length
      ...Array.from(header, (c) => c.charCodeAt(0)),
      ...[0x20, 0x20, 0x20, 0x20, 0x20, 0x20],
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f
      ...[0x00, 0x00, 0x00, 0xc0], // -2.0f
      ...[1, 2, 3],
    ];
    expect(Array.from(bytes)).toEqual(expected);
    // And the hand-built bytes parse back.
    const { tensors, metadata } = parseSafetensors(Uint8Array.from(expected));
    expect(metadata).toEqual({ format: "pt" });
    expect(Array.from(tensors.a.data)).toEqual([1, -2]);
  });

  it("lays out larger elements first so a following f32 stays aligned", () => {
    const bytes = serializeSafetensors({
      a: { dtype: "u8", shape: [3], data: new Uint8Array([1, 2, 3]) },
      b: { dtype: "f32", shape: [1], data: new Float32Array([2]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.b.data_offsets).toEqual([0, 4]);
    expect(header.a.data_offsets).toEqual([4, 7]);
  });
});

describe("safetensors validation", () => {
  const f32x2 = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
  const eight = [0, 0, 128, 63, 0, 0, 0, 64];

  it("accepts a well-formed hand-built file", () => {
    expect(Array.from(parseSafetensors(file({ x: f32x2 }, eight)).tensors.x.data)).toEqual([1, 2]);
  });

  it("rejects a file shorter than 8 bytes", () => {
    expect(parseError(new Uint8Array(5)).message).toMatch(/file is 5 bytes, shorter than the 8-byte header length/);
  });

  it("rejects a header length larger than the file (truncated)", () => {
    const bytes = file({ x: f32x2 }, eight).subarray(0, 30);
    expect(parseError(bytes).message).toMatch(/header length \d+ is larger than the 22 bytes after it/);
  });

  it("rejects a header length over 100 MB", () => {
    expect(parseError(rawFile("{}", [], 2 ** 40)).message).toMatch(/exceeds the 100000000-byte limit/);
    expect(parseError(rawFile("{}", [], 100_000_001)).message).toMatch(/exceeds the 100000000-byte limit/);
  });

  it("rejects a header that is not JSON, not UTF-8, or not an object", () => {
    expect(parseError(rawFile("{not json")).message).toMatch(/header is not valid UTF-8 JSON/);
    const invalidUtf8 = rawFile("{}  ");
    invalidUtf8[9] = 0xff;
    expect(parseError(invalidUtf8).message).toMatch(/header is not valid UTF-8 JSON/);
    expect(parseError(rawFile("[1, 2]")).message).toMatch(/header must be a JSON object/);
    expect(parseError(rawFile("null")).message).toMatch(/header must be a JSON object/);
  });

  it("rejects unsupported dtypes, naming the tensor and the dtype", () => {
    for (const dtype of ["F64", "I64", "f32"]) {
      const error = parseError(file({ weight: { ...f32x2, dtype } }, eight));
      expect(error.tensor).toBe("weight");
      expect(error.message).toContain(`tensor "weight": unsupported dtype "${dtype}"`);
    }
  });

  it("rejects missing or wrongly typed fields", () => {
    const cases: [unknown, RegExp][] = [
      [5, /tensor "x": entry must be an object/],
      [{ shape: [2], data_offsets: [0, 8] }, /tensor "x": "dtype" must be a string/],
      [{ ...f32x2, dtype: 3 }, /tensor "x": "dtype" must be a string/],
      [{ dtype: "F32", data_offsets: [0, 8] }, /tensor "x": "shape" must be an array/],
      [{ ...f32x2, shape: "2" }, /tensor "x": "shape" must be an array/],
      [{ ...f32x2, shape: [-2] }, /tensor "x": "shape" \[-2\] must hold non-negative integers/],
      [{ ...f32x2, shape: [1.5] }, /tensor "x": "shape" \[1.5\] must hold non-negative integers/],
      [{ dtype: "F32", shape: [2] }, /tensor "x": "data_offsets" must be \[begin, end\]/],
      [{ ...f32x2, data_offsets: [0] }, /tensor "x": "data_offsets" must be \[begin, end\]/],
      [{ ...f32x2, data_offsets: [0, "8"] }, /tensor "x": "data_offsets" must be \[begin, end\]/],
      [{ ...f32x2, data_offsets: [-1, 8] }, /tensor "x": "data_offsets" must be \[begin, end\]/],
    ];
    for (const [entry, message] of cases) expect(parseError(file({ x: entry }, eight)).message).toMatch(message);
  });

  it("rejects end before begin and end past the buffer", () => {
    expect(parseError(file({ x: { ...f32x2, data_offsets: [8, 0] } }, eight)).message).toMatch(
      /tensor "x": data_offsets \[8, 0\]: end is before begin/,
    );
    expect(parseError(file({ x: { ...f32x2, data_offsets: [4, 12] } }, eight)).message).toMatch(
      /tensor "x": data_offsets \[4, 12\] go past the end of the 8-byte data buffer/,
    );
  });

  it("rejects a byte length that does not match the shape", () => {
    const error = parseError(file({ x: { ...f32x2, shape: [3] } }, eight));
    expect(error.message).toMatch(/tensor "x": data_offsets \[0, 8\] span 8 bytes, but F32 shape \[3\] needs 12/);
  });

  it("rejects overlapping tensors", () => {
    const header = { a: f32x2, b: { ...f32x2, data_offsets: [4, 12] } };
    const error = parseError(file(header, [...eight, 0, 0, 0, 0]));
    expect(error.message).toMatch(/tensor "b": data_offsets \[4, 12\] overlap tensor "a"/);
  });

  it("rejects holes between tensors and trailing bytes", () => {
    const one = { dtype: "F32", shape: [1] };
    const gap = { a: { ...one, data_offsets: [0, 4] }, b: { ...one, data_offsets: [8, 12] } };
    expect(parseError(file(gap, [...eight, 0, 0, 0, 0])).message).toMatch(
      /tensor "b": data_offsets \[8, 12\] leave a hole: bytes 4..8 belong to no tensor/,
    );
    const leadingGap = { a: { ...one, data_offsets: [4, 8] } };
    expect(parseError(file(leadingGap, eight)).message).toMatch(/tensor "a".*leave a hole: bytes 0..4/);
    const trailing = { a: { ...one, data_offsets: [0, 4] } };
    expect(parseError(file(trailing, eight)).message).toMatch(/data buffer is 8 bytes but tensors cover only 4/);
  });

  it("requires __metadata__ to map strings to strings", () => {
    expect(parseError(file({ __metadata__: { step: 3 } })).message).toMatch(
      /"__metadata__" value of "step" must be a string, got number/,
    );
    expect(parseError(file({ __metadata__: ["a"] })).message).toMatch(/"__metadata__" must be an object of strings/);
  });

  it("uses a default source name when none is given", () => {
    expect(() => parseSafetensors(new Uint8Array(3))).toThrow(/<safetensors buffer>: file is 3 bytes/);
  });
});

describe("serializeSafetensors validation", () => {
  it("rejects data that does not match dtype or shape", () => {
    expect(() => serializeSafetensors({ w: { dtype: "f32", shape: [3], data: new Float32Array(2) } })).toThrow(
      /tensor "w": shape \[3\] has 3 elements but data has 2/,
    );
    expect(() => serializeSafetensors({ w: { dtype: "f16", shape: [2], data: new Float32Array(2) } })).toThrow(
      /tensor "w": data is a Float32Array, not the storage of dtype f16/,
    );
    expect(() => serializeSafetensors({ w: { dtype: "f32", shape: [-1], data: new Float32Array(0) } })).toThrow(
      /tensor "w": shape must be an array of non-negative integers/,
    );
    expect(() =>
      serializeSafetensors({}, { step: 3 } as unknown as Record<string, string>),
    ).toThrow(SafetensorsError);
  });
});

describe("safetensors files", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("writes atomically and reads back; errors name the path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-st-"));
    dirs.push(dir);
    const path = join(dir, "model.safetensors");
    await writeSafetensors(path, allDTypes, { format: "pt" });
    await writeSafetensors(path, allDTypes, { format: "pt", version: "2" }); // overwrite
    expect(await readdir(dir)).toEqual(["model.safetensors"]); // no temp files left
    const { tensors, metadata } = await readSafetensors(path);
    expect(metadata.version).toBe("2");
    expect(Array.from(tensors.bf16.data)).toEqual([0x3f80, 0x4040, 0xff80]);

    const { writeFile } = await import("node:fs/promises");
    await writeFile(path, new Uint8Array(4));
    await expect(readSafetensors(path)).rejects.toThrow(`${path}: file is 4 bytes`);
  });
});
