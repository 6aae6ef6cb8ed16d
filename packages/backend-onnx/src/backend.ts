/**
 * The ONNX backend. Eager mode runs each kernel call as a one-kernel ONNX graph (one cached session per
 * kernel, attributes and input shapes), so it passes core's conformance suite with the same lowering
 * code that whole graphs use. `compileGraph` lowers a captured trace (core's compile/) to one model per
 * signature and runs it as one session: the way to native speed.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import {
  type Backend, BackendError, type CompileGraphOptions, type DataId, type DType, type ExecutableGraph, type FusedKernelImpls, GraphNotSupportedError,
  type KernelImpl, type KernelName, type PrimitiveKernelImpls, type TensorInfo, type TensorSpec, type Trace, type TypedArray, FUSED_KERNELS,
  PRIMITIVE_KERNELS, allocateStorage, createReferenceBackend, sizeOf,
} from "@r1ts/core";
import { OnnxBuffer, ortTensorOf, valuesOf } from "./buffer.ts";
import { BufferPool } from "./buffer-pool.ts";
import { ORT_TYPE } from "./dtypes.ts";
import { NotExpressibleError } from "./lower/index.ts";
import { lowerTrace } from "./lower-trace.ts";
import { writeRows } from "./lower/cache-attention.ts";
import { type NativeSession, createSession, cudaProviderInstalled, loadOrt, type OrtTensor, type SessionOptions } from "./ort.ts";
import { type CachedSession, SessionCache } from "./session-cache.ts";

export interface OnnxBackendOptions {
  /** ORT execution providers in order of preference (default ["cpu"]); "cuda" needs ORT's CUDA binaries. */
  executionProviders?: readonly string[];
  /**
   * Intra-op threads of every session. Default: the machine's cores for graphs doing at least
   * `parallelFlops` of matrix products per run, else 1 (a thread pool costs more than it gives on small
   * graphs, badly so on a loaded machine).
   */
  intraOpThreads?: number;
  /** Matrix-product FLOPs per run from which a graph gets every core (default 2e8); see intraOpThreads. */
  parallelFlops?: number;
  /**
   * A folder of ORT-optimised models, one per compiled graph (named by a hash of the graph): a graph
   * found there loads without ORT's optimisation passes (a warm start); one not found is optimised
   * and written there (atomically) for the next run. Also useful to inspect what ORT made of a step.
   */
  modelCache?: string;
  /** Writes ORT's per-node profile of every compiled graph with this file prefix (to find what dominates). */
  profileGraphs?: string;
  /** Most eager sessions kept (least recently used are freed); default 2048. */
  eagerSessionLimit?: number;
  /** Write a static KV cache's update into the variable's own buffer (default true; see lower-trace.ts `donations`). */
  donateBuffers?: boolean;
  /** Bytes of freed buffers kept for reuse as graph outputs (default 256 MiB; 0 turns recycling off). */
  bufferPoolBytes?: number;
  /** ORT's memory pattern: one planned block per run (default false: intermediates are freed as they die; a lower peak). */
  memoryPattern?: boolean;
}

/** The reference backend's kernels, for what a graph cannot express (storage-dtype casts): they read `.values` like ours. */
const host = createReferenceBackend();

export function createOnnxBackend(options: OnnxBackendOptions = {}): Backend {
  const ort = loadOrt();
  const providers = checkProviders(options.executionProviders ?? ["cpu"], ort.binding.listSupportedBackends());
  const cores = availableParallelism();
  const sessionOptions: SessionOptions = { executionProviders: providers, intraOpThreads: options.intraOpThreads ?? cores, memPattern: options.memoryPattern ?? false };
  const threadsFor = (trace: Trace): number => options.intraOpThreads ?? (matmulFlops(trace) >= (options.parallelFlops ?? 2e8) ? cores : 1);
  const eager = new SessionCache(options.eagerSessionLimit ?? 2048);
  const pool = new BufferPool(options.bufferPoolBytes ?? 2 ** 28);
  let live = 0;
  let hostKernelCalls = 0;
  let graphsBuilt = 0;
  let graphBuildMs = 0;

  const wrap = (values: TypedArray): OnnxBuffer => {
    live++;
    return new OnnxBuffer(values);
  };
  const disposeBuffer = (dataId: DataId): void => {
    live--;
    pool.give((dataId as OnnxBuffer).values);
  };

  /**
   * Runs a session with every output written into a recycled (or new) buffer of its spec; a donated
   * output (output index -> input index) is written into its input's buffer, and returns that buffer.
   */
  const runSession = (session: NativeSession, inputNames: readonly string[], outputNames: readonly string[], inputs: readonly TensorInfo[], outputs: readonly TensorSpec[], donated?: ReadonlyMap<number, number>): DataId[] => {
    const feeds: Record<string, OrtTensor> = {};
    inputs.forEach((t, i) => (feeds[inputNames[i]] = ortTensorOf(ort.Tensor, t)));
    const fetches: Record<string, OrtTensor> = {};
    const buffers = outputs.map((o, i) => {
      const from = donated?.get(i);
      if (from !== undefined) {
        fetches[outputNames[i]] = feeds[inputNames[from]];
        return inputs[from].dataId as OnnxBuffer;
      }
      const values = pool.take(o.dtype, sizeOf(o.shape));
      fetches[outputNames[i]] = new ort.Tensor(ORT_TYPE[o.dtype], values, o.shape);
      return values;
    });
    session.run(feeds, fetches as unknown as Record<string, null>, {});
    return buffers.map((b) => (b instanceof OnnxBuffer ? b : wrap(b)));
  };

  const runEager = (kernel: KernelName, inputs: readonly TensorInfo[], attrs: Record<string, unknown>, outputs: readonly TensorSpec[]): DataId[] => {
    // Empty results need no session (ORT rejects some empty shapes).
    if (outputs.every((o) => sizeOf(o.shape) === 0)) return outputs.map((o) => wrap(allocateStorage(o.dtype, 0)));
    const key = `${kernel}|${JSON.stringify(attrs)}|${inputs.map((t) => `${t.dtype}[${t.shape}]`).join(",")}`;
    let session: CachedSession;
    try {
      session = eager.get(key, () => {
        const trace = singleKernelTrace(kernel, inputs, attrs, outputs);
        const lowered = lowerTrace(trace, key);
        return { session: createSession(lowered.model, { ...sessionOptions, intraOpThreads: threadsFor(trace) }), inputNames: lowered.inputNames, outputNames: lowered.outputNames };
      });
    } catch (error) {
      if (!(error instanceof NotExpressibleError)) throw error;
      hostKernelCalls++;
      const impl = (PRIMITIVE_SET.has(kernel) ? host.kernels[kernel as keyof PrimitiveKernelImpls] : host.fused[kernel as keyof FusedKernelImpls]) as KernelImpl<unknown>;
      return impl(inputs.map((t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype })), attrs, outputs).map((d) => {
        host.disposeData(d);
        return wrap((d as OnnxBuffer).values);
      });
    }
    return runSession(session.session, session.inputNames, session.outputNames, inputs, outputs);
  };

  const kernels = Object.fromEntries(
    PRIMITIVE_KERNELS.map((k) => [k, ((inputs, attrs, outputs) => runEager(k, inputs, attrs as Record<string, unknown>, outputs)) as KernelImpl<unknown>]),
  ) as unknown as PrimitiveKernelImpls;
  const fused = Object.fromEntries(
    FUSED_KERNELS.map((k) => [k, ((inputs, attrs, outputs) => runEager(k, inputs, attrs as Record<string, unknown>, outputs)) as KernelImpl<unknown>]),
  ) as unknown as FusedKernelImpls;

  const compileGraph = (trace: Trace, { name }: CompileGraphOptions): ExecutableGraph => {
    const t0 = performance.now();
    let lowered: ReturnType<typeof lowerTrace>;
    try {
      lowered = lowerTrace(trace, name);
    } catch (error) {
      if (error instanceof NotExpressibleError) throw new GraphNotSupportedError(`onnx: ${error.message}`);
      throw error;
    }
    const index = graphsBuilt++;
    const profilePrefix = options.profileGraphs ? `${options.profileGraphs}-${index}` : undefined;
    const intraOpThreads = threadsFor(trace);
    const { session, cachedModelPath, warmStart } = sessionFromCache(lowered.model, { ...sessionOptions, intraOpThreads, profilePrefix }, options.modelCache);
    const donate = options.donateBuffers ?? true;
    const results = lowered.outputSpecs.length - lowered.extraOutputs;
    const buildMs = performance.now() - t0;
    graphBuildMs += buildMs;
    let runs = 0;
    return {
      run(inputs) {
        runs++;
        const ids = runSession(session, lowered.inputNames, lowered.outputNames, inputs, lowered.outputSpecs, donate ? lowered.donations : undefined);
        // Caches the graph read in place get their new rows here (lower/cache-attention.ts).
        for (const w of lowered.hostWrites) {
          const cache = inputs[w.input];
          const update = lowered.outputSpecs[w.result];
          writeRows(valuesOf(cache) as Float32Array, cache.shape, (ids[w.result] as OnnxBuffer).values as Float32Array, update.shape, (ids[w.start] as OnnxBuffer).values[0]);
          disposeBuffer(ids[w.result]);
          ids[w.result] = cache.dataId;
        }
        for (const id of ids.splice(results)) disposeBuffer(id);
        return ids;
      },
      describe: () => ({ onnxNodes: lowered.nodes, modelBytes: lowered.model.byteLength, buildMs, runs, warmStart, cachedModelPath, donatedOutputs: donate ? lowered.donations.size : 0, hostCacheWrites: lowered.hostWrites.length, intraOpThreads }),
      dispose: () => {
        if (profilePrefix) (session as unknown as { endProfiling(): void }).endProfiling();
        session.dispose();
      },
    };
  };

  return {
    name: "onnx",
    write(values: TypedArray): DataId {
      return wrap(values.slice());
    },
    async read(dataId: DataId): Promise<TypedArray> {
      return (dataId as OnnxBuffer).values.slice();
    },
    readSync(dataId: DataId, _dtype: DType): TypedArray {
      return (dataId as OnnxBuffer).values.slice();
    },
    disposeData: disposeBuffer,
    numBuffers: () => live,
    kernels,
    fused,
    compileGraph,
    describe: () => ({
      device: `ONNX Runtime ${ort.version} (${providers.join(", ")}), ${options.intraOpThreads ?? `1 or ${cores}`} intra-op threads`,
      executionProviders: providers,
      eagerSessions: eager.size,
      eagerSessionsBuilt: eager.built,
      hostKernelCalls,
      graphsBuilt,
      graphBuildMs: Math.round(graphBuildMs),
      pooledBytes: pool.bytes,
      buffersReused: pool.reused,
    }),
    destroy: () => {
      eager.dispose();
      pool.clear();
    },
  };
}

const PRIMITIVE_SET: ReadonlySet<string> = new Set(PRIMITIVE_KERNELS);

/** 2 M N K per matrix product of the trace (batch included): the work that threads pay off on. */
function matmulFlops(trace: Trace): number {
  let flops = 0;
  for (const n of trace.nodes) {
    if (n.kernel !== "MatMul" && n.kernel !== "Attention" && n.kernel !== "MLAAttention") continue;
    const out = trace.values[n.outputs[0]].shape;
    const a = trace.values[n.inputs[0]].shape;
    const k = n.kernel === "MatMul" && n.attrs.transposeA ? a[a.length - 2] : a[a.length - 1];
    const outputs = out.reduce((x, y) => x * y, 1);
    flops += 2 * outputs * k * (n.kernel === "MatMul" ? 1 : trace.values[n.inputs[1]].shape[2]);
  }
  return flops;
}

/** A session for `model`: from the model cache's optimised copy when there is one, else optimised now (and saved there). */
function sessionFromCache(model: Uint8Array, options: SessionOptions, dir: string | undefined): { session: NativeSession; cachedModelPath?: string; warmStart: boolean } {
  if (!dir) return { session: createSession(model, options), warmStart: false };
  mkdirSync(dir, { recursive: true });
  const key = createHash("sha256").update(model).update(JSON.stringify(options.executionProviders)).digest("hex").slice(0, 24);
  const path = join(dir, `${key}.optimized.onnx`);
  if (existsSync(path)) {
    try {
      return { session: createSession(new Uint8Array(readFileSync(path)), { ...options, optimizationLevel: "disabled" }), cachedModelPath: path, warmStart: true };
    } catch {
      // A damaged or foreign file: optimise again and replace it.
    }
  }
  const tmp = `${path}.${process.pid}.tmp`;
  const session = createSession(model, { ...options, optimizedModelPath: tmp });
  renameSync(tmp, path);
  return { session, cachedModelPath: path, warmStart: false };
}


/** A trace of one kernel call on arguments (what eager mode lowers). */
function singleKernelTrace(kernel: KernelName, inputs: readonly TensorInfo[], attrs: Record<string, unknown>, outputs: readonly TensorSpec[]): Trace {
  const values = [...inputs.map((t, i) => ({ id: i, shape: [...t.shape], dtype: t.dtype })), ...outputs.map((o, i) => ({ id: inputs.length + i, shape: [...o.shape], dtype: o.dtype }))];
  return {
    values,
    inputs: inputs.map((_, i) => ({ value: i, name: `x${i}`, source: { kind: "argument", index: i } })),
    constants: [],
    nodes: [{ kernel, attrs, inputs: inputs.map((_, i) => i), outputs: outputs.map((_, i) => inputs.length + i) }],
    outputs: outputs.map((_, i) => inputs.length + i),
    assignments: [],
  };
}

/** Known execution providers, each available here (CPU always; CUDA only with ORT's GPU binaries installed). */
function checkProviders(requested: readonly string[], supported: { name: string; bundled: boolean }[]): string[] {
  if (requested.length === 0) throw new BackendError("onnx: executionProviders is empty; use [\"cpu\"] or [\"cuda\", \"cpu\"]");
  for (const ep of requested) {
    const entry = supported.find((s) => s.name === ep);
    if (!entry) throw new BackendError(`onnx: unknown execution provider "${ep}"; this onnxruntime-node knows ${supported.map((s) => s.name).join(", ")}`);
    if (ep === "cuda" && !cudaProviderInstalled()) {
      throw new BackendError(
        "onnx: the CUDA execution provider is not installed. Reinstall onnxruntime-node with its CUDA binaries on a Linux x64 machine with an NVIDIA driver, CUDA 12 and cuDNN 9 (see docs/backend-onnx.md), or use executionProviders: [\"cpu\"].",
      );
    }
  }
  return [...requested];
}

