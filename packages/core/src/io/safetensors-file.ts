/**
 * A safetensors file opened for reading one tensor at a time: the header is read and validated up front
 * (against the file's size, so a truncated file fails before any tensor is used), then `read(name)`
 * copies just that tensor's bytes. Loading a model this way holds the model plus one tensor in memory,
 * not the model plus a whole shard.
 */
import { type FileHandle, open } from "node:fs/promises";
import { allocateStorage } from "../tensor/dtype.ts";
import { type HostTensor, type SafetensorsEntry, SafetensorsError, parseSafetensorsHeader, safetensorsHeaderLength } from "./safetensors.ts";

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** The tensors of the file by name. */
    readonly entries: ReadonlyMap<string, SafetensorsEntry>,
    readonly metadata: Readonly<Record<string, string>>,
    private readonly dataStart: number,
  ) {}

  /** Opens `path` and validates its header (SafetensorsError naming the file on any problem). */
  static async open(path: string): Promise<SafetensorsFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      throw new SafetensorsError(path, undefined, `cannot open the file (${(error as Error).message})`);
    }
    try {
      const size = (await handle.stat()).size;
      const first8 = new Uint8Array(8);
      await handle.read(first8, 0, Math.min(8, size), 0);
      const n = safetensorsHeaderLength(first8, size, path);
      const headerBytes = new Uint8Array(n);
      await handle.read(headerBytes, 0, n, 8);
      const header = parseSafetensorsHeader(headerBytes, size, path);
      return new SafetensorsFile(path, handle, new Map(header.entries.map((e) => [e.name, e])), header.metadata, header.dataStart);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** A copy of tensor `name` (aligned typed array of its dtype's storage). */
  async read(name: string): Promise<HostTensor> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new SafetensorsError(this.path, name, "no such tensor in this file");
    const count = entry.shape.reduce((a, d) => a * d, 1);
    const data = allocateStorage(entry.dtype, count);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await this.handle.read(bytes, done, bytes.length - done, this.dataStart + entry.begin + done);
      if (bytesRead === 0) throw new SafetensorsError(this.path, name, `the file ended after ${done} of the tensor's ${bytes.length} bytes`);
      done += bytesRead;
    }
    return { dtype: entry.dtype, shape: [...entry.shape], data };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
