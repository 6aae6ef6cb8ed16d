/**
 * Recycled host buffers: a freed buffer goes back to a pool by type and length, and ORT writes the next
 * graph's outputs of that size straight into it (pre-allocated fetches). A captured step replaces the
 * same variables every run (parameters, moments, the KV cache), so after the first run its outputs
 * reuse the buffers the previous values held: no allocation, no zero-fill, nothing for the GC.
 */
import { type DType, type TypedArray, allocateStorage } from "@r1ts/core";

/** Buffers below this many elements are not pooled (allocation is cheap, bookkeeping is not). */
const MIN_POOLED = 1024;

export class BufferPool {
  private readonly free = new Map<string, TypedArray[]>();
  private pooledBytes = 0;
  reused = 0;

  constructor(private readonly limitBytes: number) {}

  /** A buffer of `size` elements of `dtype`, recycled when one is free (its contents are stale). */
  take(dtype: DType, size: number): TypedArray {
    if (size >= MIN_POOLED) {
      const list = this.free.get(keyOf(allocateStorage(dtype, 0), size));
      const found = list?.pop();
      if (found) {
        this.pooledBytes -= found.byteLength;
        this.reused++;
        return found;
      }
    }
    return allocateStorage(dtype, size);
  }

  /** Returns a buffer no tensor refers to any more. */
  give(values: TypedArray): void {
    if (values.length < MIN_POOLED || this.pooledBytes + values.byteLength > this.limitBytes) return;
    if (values.byteOffset !== 0 || values.byteLength !== values.buffer.byteLength) return; // a view into a larger buffer
    const key = keyOf(values, values.length);
    let list = this.free.get(key);
    if (!list) {
      list = [];
      this.free.set(key, list);
    }
    list.push(values);
    this.pooledBytes += values.byteLength;
  }

  get bytes(): number {
    return this.pooledBytes;
  }

  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }
}

function keyOf(like: TypedArray, size: number): string {
  return `${like.constructor.name}:${size}`;
}
