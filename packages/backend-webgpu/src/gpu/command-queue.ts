/**
 * Batched command submission: kernels are recorded into one command encoder (one compute pass) and
 * submitted together when the batch is full, when values are read back, or on `flush()`. Nothing
 * reads back to the host unless asked to. Also holds the pipeline cache and the parameter arena.
 */
import { BackendError } from "@r1ts/core";
import type { BufferPool } from "./buffer-pool.ts";
import type { Program } from "./program.ts";

const MAX_GROUPS_PER_DIM = 65535;
/** Dispatches per submitted batch. */
const BATCH_DISPATCHES = 256;
const ARENA_BYTES = 1 << 20;

interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** Names the bind group layout in bind-group cache keys. */
  layoutId: number;
}

/** Bind groups kept for reuse (pooled buffers recur step after step); the cache is cleared beyond this. */
const MAX_BIND_GROUPS = 8192;

export interface QueueStats {
  dispatches: number;
  submits: number;
  pipelines: number;
  reads: number;
}

export class CommandQueue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private readonly arena: GPUBuffer;
  private readonly arenaWords = new Uint32Array(ARENA_BYTES / 4);
  private arenaUsed = 0;
  private readonly paramAlign: number;
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly layouts = new Map<string, { layout: GPUBindGroupLayout; id: number }>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
  private readonly staging = new Map<number, GPUBuffer[]>();
  private error: string | null = null;
  readonly stats: QueueStats = { dispatches: 0, submits: 0, pipelines: 0, reads: 0 };
  /** Milliseconds spent compiling pipelines and waiting for read-backs. */
  readonly timing = { compileMs: 0, readWaitMs: 0 };

  constructor(
    readonly device: GPUDevice,
    private readonly pool: BufferPool,
  ) {
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.paramAlign = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
      this.error ??= event.error.message;
    };
  }

  /** Whether commands are recorded but not yet submitted. */
  get batchOpen(): boolean {
    return this.encoder !== null;
  }

  private pipelineFor(p: Program): CachedPipeline {
    let cached = this.pipelines.get(p.source);
    if (cached) return cached;
    const signature = p.bindings.map((b) => b.access).join(",");
    let known = this.layouts.get(signature);
    if (!known) {
      const entries: GPUBindGroupLayoutEntry[] = p.bindings.map((b, i) => ({
        binding: i,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.access === "read" ? "read-only-storage" : "storage" },
      }));
      // The parameters: a window of the arena at a dynamic offset, so bind groups can be reused.
      entries.push({ binding: p.bindings.length, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform", hasDynamicOffset: true } });
      known = { layout: this.device.createBindGroupLayout({ entries }), id: this.layouts.size };
      this.layouts.set(signature, known);
    }
    const layout = known.layout;
    const t0 = performance.now();
    const module = this.device.createShaderModule({ code: p.source, label: p.label });
    const pipeline = this.device.createComputePipeline({
      label: p.label,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: "main" },
    });
    this.timing.compileMs += performance.now() - t0;
    cached = { pipeline, layout, layoutId: known.id };
    this.pipelines.set(p.source, cached);
    this.stats.pipelines++;
    return cached;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  /** Records one dispatch of `workgroups` workgroups (laid out on a 2-D grid when needed). */
  dispatch(p: Program, buffers: readonly GPUBuffer[], params: Uint32Array, workgroups: number): void {
    if (workgroups <= 0) return;
    if (buffers.length !== p.bindings.length) throw new BackendError(`webgpu ${p.label}: ${buffers.length} buffers for ${p.bindings.length} bindings`);
    const bytes = params.byteLength;
    if (this.arenaUsed + bytes > ARENA_BYTES) this.flush();
    const cached = this.pipelineFor(p);
    const offset = this.arenaUsed;
    this.arenaWords.set(params, offset / 4);
    this.arenaUsed = Math.ceil((offset + bytes) / this.paramAlign) * this.paramAlign;
    const pass = this.ensurePass();
    pass.setPipeline(cached.pipeline);
    pass.setBindGroup(0, this.bindGroupFor(cached, buffers, bytes), [offset]);
    const x = Math.min(workgroups, MAX_GROUPS_PER_DIM);
    const y = Math.ceil(workgroups / x);
    if (y > MAX_GROUPS_PER_DIM) throw new BackendError(`webgpu ${p.label}: ${workgroups} workgroups exceed ${MAX_GROUPS_PER_DIM}^2`);
    pass.dispatchWorkgroups(x, y);
    this.stats.dispatches++;
    if (++this.pending >= BATCH_DISPATCHES) this.flush();
  }

  private idOf(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }

  /** The bind group of these buffers (and a parameter window of `bytes`), made once and reused. */
  private bindGroupFor(cached: CachedPipeline, buffers: readonly GPUBuffer[], bytes: number): GPUBindGroup {
    let key = `${cached.layoutId}:${bytes}`;
    for (const b of buffers) key += `,${this.idOf(b)}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: i, resource: { buffer } }));
      entries.push({ binding: buffers.length, resource: { buffer: this.arena, offset: 0, size: bytes } });
      group = this.device.createBindGroup({ layout: cached.layout, entries });
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /** Forgets every bind group (a buffer they name is being destroyed). */
  forgetBindGroups(): void {
    this.bindGroups.clear();
  }

  /** Records a buffer-to-buffer copy (ends the open compute pass). */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    if (bytes === 0) return;
    this.ensurePass();
    this.pass!.end();
    this.pass = null;
    this.encoder!.copyBufferToBuffer(src, 0, dst, 0, bytes);
    this.pending++;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) this.pass.end();
    this.pass = null;
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaWords, 0, this.arenaUsed / 4);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pending = 0;
    this.arenaUsed = 0;
    this.stats.submits++;
    this.pool.settle();
  }

  /** Copies `bytes` of `src` to the host (submits the batch). */
  async read(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const staging = this.staging.get(size)?.pop() ?? this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (bytes > 0) this.copy(src, staging, Math.ceil(bytes / 4) * 4);
    this.flush();
    this.stats.reads++;
    const t0 = performance.now();
    try {
      await staging.mapAsync(GPUMapMode.READ);
      this.timing.readWaitMs += performance.now() - t0;
    } catch (e) {
      this.throwIfFailed();
      throw e;
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    let list = this.staging.get(size);
    if (!list) this.staging.set(size, (list = []));
    list.push(staging);
    this.throwIfFailed();
    return out;
  }

  /** Waits until every submitted command has run. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwIfFailed();
  }

  /** Throws the first GPU validation error seen (they arrive asynchronously). */
  throwIfFailed(): void {
    if (this.error !== null) {
      const message = this.error;
      this.error = null;
      throw new BackendError(`webgpu: the GPU reported an error: ${message}`);
    }
  }

  destroy(): void {
    this.pass = null;
    this.encoder = null;
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.arena.destroy();
    this.pipelines.clear();
    this.layouts.clear();
    this.bindGroups.clear();
  }
}
