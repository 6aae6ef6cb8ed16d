/**
 * What kernels work with: allocate output buffers from the pool, upload host values, record
 * dispatches, and count live buffers (the backend's numBuffers).
 */
import { BackendError } from "@r1ts/core";
import type { DType, TypedArray } from "@r1ts/core";
import { BufferPool } from "./buffer-pool.ts";
import { CommandQueue } from "./command-queue.ts";
import { GpuData } from "./gpu-tensor.ts";
import type { Program } from "./program.ts";
import { gpuBytes, toGpuLayout } from "./storage.ts";

export class Runtime {
  readonly pool: BufferPool;
  readonly queue: CommandQueue;
  private live = 0;
  private readonly programs = new Map<string, Program>();

  constructor(readonly device: GPUDevice) {
    this.pool = new BufferPool(device);
    this.queue = new CommandQueue(device, this.pool);
    this.pool.onDestroy = () => this.queue.forgetBindGroups();
  }

  get liveBuffers(): number {
    return this.live;
  }

  /** Throws a clear error for a tensor larger than one storage binding may be (GPU validation would fail later). */
  private checkSize(bytes: number, dtype: DType, size: number): void {
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new BackendError(`webgpu: a tensor of ${size} ${dtype} elements needs ${bytes} bytes, over this adapter's storage binding limit of ${limit} bytes (maxStorageBufferBindingSize); split it or use a smaller batch`);
    }
  }

  /** A new (uninitialised) buffer for `size` elements of `dtype`, written by a kernel. */
  alloc(dtype: DType, size: number): GpuData {
    const bytes = gpuBytes(dtype, size);
    this.checkSize(bytes, dtype, size);
    this.live++;
    return new GpuData(this.pool.acquire(bytes, false), bytes, dtype, size);
  }

  /** A new buffer holding host `values` (storage array of `dtype`). */
  upload(values: TypedArray, dtype: DType): GpuData {
    const bytes = gpuBytes(dtype, values.length);
    this.checkSize(bytes, dtype, values.length);
    const buffer = this.pool.acquire(bytes, true);
    if (bytes > 0) {
      const data = toGpuLayout(values, dtype);
      this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, bytes);
    }
    this.live++;
    return new GpuData(buffer, bytes, dtype, values.length);
  }

  release(data: GpuData): void {
    this.live--;
    this.pool.release(data.buffer, this.queue.batchOpen);
  }

  /** The program for `key`, generated once. */
  program(key: string, make: () => Program): Program {
    let p = this.programs.get(key);
    if (!p) {
      p = make();
      this.programs.set(key, p);
    }
    return p;
  }

  /** Records a dispatch of `p` over `buffers` with parameters packed by the program's layout. */
  run(p: Program, buffers: readonly (GpuData | GPUBuffer)[], params: Record<string, number | readonly number[]>, workgroups: number): void {
    const gpuBuffers = buffers.map((b) => (b instanceof GpuData ? b.buffer : b));
    this.queue.dispatch(p, gpuBuffers, p.params.pack(params), workgroups);
  }
}
