/**
 * compile(fn) (like jax.jit): the first call with a new signature traces `fn` symbolically through the
 * engine (no computation), including the autograd tape's backward kernels and the optimizer's variable
 * updates, and hands the trace to the backend (`Backend.compileGraph`, e.g. one ONNX Runtime session);
 * later calls with the same signature only run the graph. Variables the function reads are inputs of
 * every run; variables it assigns are written back after each run.
 *
 * What a traced function may do: tensor ops, `tidy`, gradients, `variable.assign`. What it may not:
 * read values back to the host (a CaptureError names the op), create variables, or be async. Host-side
 * numbers it uses (learning rate, step, seeds) are baked into the graph: pass values that change
 * between calls as tensor arguments (e.g. `scalar(lr)`), or as static arguments to get one graph per value.
 */
import type { Backend, ExecutableGraph } from "../backend/backend.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape, shapesEqual } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { CaptureError, GraphNotSupportedError } from "./errors.ts";
import { interpretTrace } from "./interpret.ts";
import { flatten } from "./signature.ts";
import type { Trace } from "./trace.ts";
import { Tracer } from "./tracer.ts";

export interface CompileOptions {
  /** A name for logs, errors and saved graphs (default: the function's name). */
  name?: string;
  /** Replay kernel by kernel even when the backend can build graphs (for debugging and parity tests). */
  interpret?: boolean;
}

/** What one signature's graph cost and holds. */
export interface GraphStats {
  signature: string;
  /** Milliseconds to trace the function. */
  traceMs: number;
  /** Milliseconds the backend took to build its graph (0 when interpreted). */
  buildMs: number;
  nodes: number;
  inputs: number;
  outputs: number;
  assignments: number;
  runs: number;
  /** Milliseconds spent running it, all runs together (the executor's synchronous run, or the replay). */
  runMs: number;
  /** "graph" (the backend's executor) or "interpreted" (kernel by kernel). */
  mode: "graph" | "interpreted";
  /** Why the backend could not build a graph (when it has an executor but the trace did not fit). */
  fallbackReason?: string;
  backend: Record<string, unknown>;
}

export interface CompileStats {
  name: string;
  graphs: GraphStats[];
  calls: number;
}

export interface CompiledFunction<A extends unknown[], R> {
  (...args: A): R;
  readonly name: string;
  stats(): CompileStats;
  /** The trace of a signature (for tests and tools), built on first use. */
  traces(): Trace[];
  /** Frees the graphs and the tensors held for captured inputs. */
  dispose(): void;
}

interface Entry {
  trace: Trace;
  backend: Backend;
  executable: ExecutableGraph | undefined;
  held: Tensor[];
  rebuild: (tensors: readonly Tensor[]) => unknown;
  stats: GraphStats;
}

const live = new Set<{ stats(): CompileStats }>();

/** Stats of every compiled function not yet disposed (for run summaries and benchmarks). */
/** Stats of compiled functions disposed so far (the most recent 1000), for `captureStats({ released: true })`. */
const released: CompileStats[] = [];

/**
 * What every live compiled function built and ran; with `released`, also those disposed since the
 * process started (a trainer's or a generation's graphs after it finished), oldest first.
 */
export function captureStats({ released: withReleased = false }: { released?: boolean } = {}): CompileStats[] {
  const current = [...live].map((f) => f.stats());
  return withReleased ? [...released, ...current] : current;
}

export function compile<A extends unknown[], R>(fn: (...args: A) => R, options: CompileOptions = {}): CompiledFunction<A, R> {
  const name = options.name ?? (fn.name || "compiled");
  const entries = new Map<string, Entry>();
  let calls = 0;

  const call = (...args: A): R => {
    calls++;
    const flat = flatten(args, `the arguments of ${name}`);
    const backend = flat.tensors[0]?.backend ?? engine.backend;
    for (const t of flat.tensors) {
      t.assertLive(`pass to ${name}`);
      if (t.backend !== backend) throw new CaptureError(`${name}: arguments live on different backends ("${backend.name}" and "${t.backend.name}")`);
    }
    const key = `${backend.name}|${flat.signature}`;
    let entry = entries.get(key);
    if (!entry) {
      entry = build(name, fn, flat.signature, flat.rebuild, flat.tensors, backend, options);
      entries.set(key, entry);
    }
    return run(name, entry, flat.tensors) as R;
  };

  const compiled = Object.assign(call, {
    stats: (): CompileStats => ({ name, graphs: [...entries.values()].map((e) => ({ ...e.stats, backend: e.executable?.describe?.() ?? {} })), calls }),
    traces: (): Trace[] => [...entries.values()].map((e) => e.trace),
    dispose: (): void => {
      if (live.has(compiled) && entries.size > 0) {
        released.push(compiled.stats());
        if (released.length > 1000) released.shift();
      }
      for (const e of entries.values()) {
        e.executable?.dispose();
        for (const t of e.held) t.dispose();
      }
      entries.clear();
      live.delete(compiled);
    },
  });
  Object.defineProperty(compiled, "name", { value: name });
  live.add(compiled);
  return compiled as CompiledFunction<A, R>;
}

function build(
  name: string,
  fn: (...args: never[]) => unknown,
  signature: string,
  rebuildArgs: (tensors: readonly Tensor[]) => unknown[],
  argTensors: readonly Tensor[],
  backend: Backend,
  options: CompileOptions,
): Entry {
  const t0 = performance.now();
  const tracer = new Tracer(backend, name);
  const symbolicArgs = argTensors.map((t, i) => tracer.argument(i, t.shape, t.dtype));
  let trace: Trace;
  let rebuildResult: (tensors: readonly Tensor[]) => unknown;
  engine.beginTrace(tracer);
  try {
    const result = engine.tidy(() => {
      const r = (fn as (...a: unknown[]) => unknown)(...rebuildArgs(symbolicArgs));
      if (r instanceof Promise) {
        r.catch(() => {});
        throw tracer.firstHostRead ?? new CaptureError(`${name}: a compiled function must be synchronous (it returned a Promise); read results after the call`);
      }
      return r;
    });
    const out = flatten(result, `the result of ${name}`);
    trace = tracer.finish(out.tensors.map((t) => tracer.valueOf(t)));
    rebuildResult = out.rebuild;
    for (const t of out.tensors) t.dispose();
  } catch (error) {
    for (const t of tracer.held) t.dispose();
    throw error;
  } finally {
    engine.endTrace();
    for (const t of symbolicArgs) t.dispose();
  }
  const traceMs = performance.now() - t0;
  const t1 = performance.now();
  let executable: ExecutableGraph | undefined;
  let fallbackReason: string | undefined;
  if (!options.interpret && backend.compileGraph) {
    try {
      executable = backend.compileGraph(trace, { name: `${name}(${signature})` });
    } catch (error) {
      if (!(error instanceof GraphNotSupportedError)) {
        for (const t of tracer.held) t.dispose();
        throw error;
      }
      fallbackReason = error.message;
    }
  }
  const buildMs = executable ? performance.now() - t1 : 0;
  return {
    trace,
    backend,
    executable,
    held: tracer.held,
    rebuild: rebuildResult,
    stats: {
      signature,
      traceMs,
      buildMs,
      nodes: trace.nodes.length,
      inputs: trace.inputs.length,
      outputs: trace.outputs.length,
      assignments: trace.assignments.length,
      runs: 0,
      runMs: 0,
      mode: executable ? "graph" : "interpreted",
      fallbackReason,
      backend: {},
    },
  };
}

function run(name: string, entry: Entry, args: readonly Tensor[]): unknown {
  const { trace, backend } = entry;
  const feeds = trace.inputs.map((input): Tensor => {
    const source = input.source;
    if (source.kind === "argument") return args[source.index];
    if (source.kind === "captured") {
      if (source.origin.isDisposed) {
        throw new CaptureError(
          `${name}: tensor #${source.origin.id} ${formatShape(source.origin.shape)} ${source.origin.dtype}, read from outside the function when it was traced, has been disposed since: it was a value of that one call, and the graph would replay it. Pass values that change between calls as arguments.`,
        );
      }
      return source.tensor;
    }
    const v = source.variable;
    if (v.isDisposed) throw new CaptureError(`${name}: variable "${v.name}" read by the compiled function was disposed`);
    if (v.backend !== backend) throw new CaptureError(`${name}: variable "${v.name}" lives on backend "${v.backend.name}", the graph on "${backend.name}"`);
    const traced = trace.values[input.value];
    if (!shapesEqual(traced.shape, v.shape) || traced.dtype !== v.dtype) {
      throw new CaptureError(`${name}: variable "${v.name}" is ${formatShape(v.shape)} ${v.dtype}, it was ${formatShape(traced.shape)} ${traced.dtype} when traced`);
    }
    return v;
  });
  entry.stats.runs++;
  const started = performance.now();
  let outputs: Tensor[];
  let assigned: Tensor[];
  if (entry.executable) {
    const ids = entry.executable.run(feeds);
    const adopt = (value: number, i: number): Tensor => {
      const v = trace.values[value];
      return engine.adoptData(ids[i], v.shape, v.dtype, backend);
    };
    outputs = trace.outputs.map((v, i) => adopt(v, i));
    assigned = trace.assignments.map((a, i) => adopt(a.value, trace.outputs.length + i));
  } else {
    ({ outputs, assigned } = interpretTrace(trace, feeds, backend));
  }
  entry.stats.runMs += performance.now() - started;
  trace.assignments.forEach((a, i) => {
    a.variable.assign(assigned[i]);
    assigned[i].dispose();
  });
  return entry.rebuild(outputs);
}
