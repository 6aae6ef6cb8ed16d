/**
 * A pool of GPU storage buffers by size class, so a training step reuses the buffers of the previous
 * one instead of creating new ones.
 *
 * Ordering rule: a buffer released while a command batch is still being recorded may be read by that
 * batch, so it goes to `recent` and only kernels recorded later in the same batch (which run after those
 * reads, in order) may reuse it. `queue.writeBuffer` runs before the open batch is submitted, so host
 * writes only take buffers from `settled`, whose every use was submitted earlier. `settle()` moves
 * `recent` to `settled` when the batch is submitted.
 */

const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

/** Bytes rounded up to a size class: multiples of 256, and from 1 KiB up 4 classes per power of two (at most 25% waste). */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const step = 2 ** Math.max(8, Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / step) * step;
}

export interface PoolStats {
  /** GPU buffers created and not destroyed (in use + pooled). */
  gpuBuffers: number;
  /** Bytes of those. */
  gpuBytes: number;
  /** Buffers waiting in the pool. */
  pooled: number;
}

export class BufferPool {
  private readonly settled = new Map<number, GPUBuffer[]>();
  private readonly recent = new Map<number, GPUBuffer[]>();
  private created = 0;
  private createdBytes = 0;
  private pooledCount = 0;
  private pooledBytes = 0;

  /** Called before a buffer is destroyed (cached bind groups may name it). */
  onDestroy: () => void = () => {};

  constructor(
    private readonly device: GPUDevice,
    /** Pooled bytes above which released buffers are destroyed instead of kept. */
    private readonly maxPooledBytes = 1 << 30,
  ) {}

  /** A buffer of at least `bytes`; `forHostWrite` takes only settled buffers (see the ordering rule). */
  acquire(bytes: number, forHostWrite: boolean): GPUBuffer {
    const size = sizeClass(bytes);
    const reused = (forHostWrite ? undefined : this.recent.get(size)?.pop()) ?? this.settled.get(size)?.pop();
    if (reused) {
      this.pooledCount--;
      this.pooledBytes -= size;
      return reused;
    }
    this.created++;
    this.createdBytes += size;
    return this.device.createBuffer({ size, usage: STORAGE_USAGE });
  }

  /** Returns a buffer to the pool; `batchOpen` says whether the batch being recorded may still use it. */
  release(buffer: GPUBuffer, batchOpen: boolean): void {
    const size = buffer.size;
    if (this.pooledBytes + size > this.maxPooledBytes && !batchOpen) {
      this.destroy(buffer);
      return;
    }
    const lists = batchOpen ? this.recent : this.settled;
    let list = lists.get(size);
    if (!list) lists.set(size, (list = []));
    list.push(buffer);
    this.pooledCount++;
    this.pooledBytes += size;
  }

  /** The open batch was submitted: its released buffers may now take host writes. */
  settle(): void {
    for (const [size, list] of this.recent) {
      let target = this.settled.get(size);
      if (!target) this.settled.set(size, (target = []));
      target.push(...list);
    }
    this.recent.clear();
    this.trim();
  }

  /** Destroys settled buffers until the pool is under its byte budget. */
  private trim(): void {
    for (const list of this.settled.values()) {
      while (this.pooledBytes > this.maxPooledBytes && list.length > 0) {
        const b = list.pop()!;
        this.pooledCount--;
        this.pooledBytes -= b.size;
        this.destroy(b);
      }
    }
  }

  private destroy(buffer: GPUBuffer): void {
    this.onDestroy();
    this.created--;
    this.createdBytes -= buffer.size;
    buffer.destroy();
  }

  stats(): PoolStats {
    return { gpuBuffers: this.created, gpuBytes: this.createdBytes, pooled: this.pooledCount };
  }

  /** Destroys every pooled buffer (buffers in use are destroyed with the device). */
  clear(): void {
    for (const lists of [this.settled, this.recent]) {
      for (const list of lists.values()) for (const b of list) this.destroy(b);
      lists.clear();
    }
    this.pooledCount = 0;
    this.pooledBytes = 0;
  }
}
