/**
 * The engine: dispatches kernels to the current backend, owns buffer reference counts and memory
 * scopes, and feeds the autograd tape. One engine per process, like tfjs's.
 */
import type { Backend, DataId } from "../backend/backend.ts";
import type { KernelAttrs, KernelName, PrimitiveKernel } from "../backend/kernels.ts";
import { NON_DIFFERENTIABLE_KERNELS, PRIMITIVE_KERNELS } from "../backend/kernels.ts";
import { inferOutputs } from "../backend/shape-inference.ts";
import { BackendError, ShapeError, TensorStateError } from "../errors.ts";
import { Tape } from "../autograd/tape.ts";
import type { CustomGradient, TapeKernel } from "../autograd/tape.ts";
import { savedTensorsOf } from "../autograd/saved-tensors.ts";
import type { TensorSpec } from "../backend/shape-inference.ts";
import type { DType, TypedArray } from "./dtype.ts";
import { allocateStorage, bytesPerElement, isStorageOf } from "./dtype.ts";
import { assertValidShape, formatShape, shapesEqual, sizeOf } from "./shape.ts";
import { Tensor, Variable, setTensorHost } from "./tensor.ts";

const PRIMITIVE_SET: ReadonlySet<string> = new Set(PRIMITIVE_KERNELS);

interface Scope {
  readonly tracked: Set<Tensor>;
}

export interface MemoryInfo {
  /** Tensor objects not yet disposed (views included). */
  numTensors: number;
  /** Buffers held by the current backend. */
  numBuffers: number;
  /** Distinct buffers referenced by live tensors, over all backends. */
  numDataIds: number;
  /** Bytes of those buffers (element storage only, as torch.cuda.memory_allocated counts tensors). */
  numBytes: number;
}

/**
 * What the engine hands to a capture in progress (compile/): kernel calls, constants and variable
 * assignments are recorded instead of computed. Inputs may mix the capture's symbolic tensors with
 * real ones (variables, tensors made before the capture), which the tracer turns into graph inputs.
 */
export interface KernelTracer {
  /** The symbolic backend that owns the recorded values. */
  readonly backend: Backend;
  /** Records one kernel call and returns one symbolic buffer per output spec. */
  kernel(kernel: KernelName, inputs: readonly Tensor[], attrs: Record<string, unknown>, outputs: readonly TensorSpec[]): DataId[];
  /** Records host values as a graph constant. */
  constant(values: TypedArray, shape: readonly number[], dtype: DType): DataId;
  /** Records that `variable` takes `value` (a tensor of the capture) as its new value. */
  assign(variable: Variable, value: Tensor): void;
  /** Called when a Variable would be made inside the capture (not supported: throws). */
  makeVariable(name: string): never;
  /** Whether `dataId` is one of the capture's symbolic buffers. */
  owns(dataId: DataId): boolean;
}

export class Engine {
  private currentBackend: Backend | null = null;
  private readonly refCounts = new Map<DataId, number>();
  private readonly scopes: Scope[] = [];
  private readonly tapes: Tape[] = [];
  private tapePaused = 0;
  private liveTensors = 0;
  /** Bytes of each referenced buffer, their sum, and the sum's high-water mark. */
  private readonly bufferBytes = new Map<DataId, number>();
  private liveBytes = 0;
  private peakLiveBytes = 0;
  private tracer: KernelTracer | null = null;
  /** The variable holding each buffer (so a capture sees a view of a variable, e.g. a reshaped weight, as that variable). */
  private readonly variableOfData = new Map<DataId, Variable>();
  /** Variables assigned during the capture in progress, with the buffer they held before it. */
  private readonly tracedAssignments = new Map<Variable, DataId>();

  constructor() {
    setTensorHost({
      disposeTensor: (t) => this.disposeTensor(t),
      assignVariable: (v, value) => this.assignVariable(v, value),
    });
  }

  get backend(): Backend {
    if (!this.currentBackend) throw new BackendError("no backend is set: call setBackend(\"reference\" | \"auto\" | ...) first");
    return this.currentBackend;
  }

  hasBackend(): boolean {
    return this.currentBackend !== null;
  }

  /** Used by the backend registry. */
  useBackend(backend: Backend): void {
    this.currentBackend = backend;
  }

  /** Runs `fn` with `backend` as the current backend (tensors it creates live there). */
  withBackend<T>(backend: Backend, fn: () => T): T {
    const previous = this.currentBackend;
    this.currentBackend = backend;
    try {
      return fn();
    } finally {
      this.currentBackend = previous;
    }
  }

  // ---- creation ----

  /** A tensor holding a copy of `values` on the current backend. */
  makeTensor(values: TypedArray | readonly number[], shape: readonly number[], dtype: DType, backend: Backend = this.backend): Tensor {
    assertValidShape(shape, "tensor");
    const size = sizeOf(shape);
    if (values.length !== size) {
      throw new ShapeError(`tensor: ${values.length} values do not fill shape ${formatShape(shape)} (${size} elements)`);
    }
    let storage: TypedArray;
    if (!Array.isArray(values) && isStorageOf(dtype, values as TypedArray)) storage = values as TypedArray;
    else {
      storage = allocateStorage(dtype, size);
      for (let i = 0; i < size; i++) storage[i] = Number((values as ArrayLike<number>)[i]);
    }
    if (this.tracer) return this.wrap(this.tracer.constant(storage.slice(), shape, dtype), shape, dtype, this.tracer.backend);
    return this.wrap(backend.write(storage, shape, dtype), shape, dtype, backend);
  }

  /** A tensor over a buffer a backend already made (outputs of a captured graph); the engine owns it from now on. */
  adoptData(dataId: DataId, shape: readonly number[], dtype: DType, backend: Backend): Tensor {
    return this.wrap(dataId, shape, dtype, backend);
  }

  // ---- capture (compile/) ----

  /** Whether a capture is in progress: kernels are recorded, not run. */
  get isTracing(): boolean {
    return this.tracer !== null;
  }

  /** Starts recording into `tracer` (one capture at a time). */
  beginTrace(tracer: KernelTracer): void {
    if (this.tracer) throw new TensorStateError("a capture is already in progress: compiled functions cannot be traced inside each other");
    this.tracer = tracer;
  }

  /** Stops recording; variables assigned during the capture get back the buffers they held before it. */
  endTrace(): void {
    const symbolicBackend = this.tracer?.backend;
    this.tracer = null;
    for (const [v, original] of this.tracedAssignments) {
      const symbolic = v.dataId;
      v.setDataId(original);
      if (symbolicBackend) this.release(symbolic, symbolicBackend);
    }
    this.tracedAssignments.clear();
  }

  makeVariable(initial: Tensor, name: string, trainable = true): Variable {
    if (this.tracer) this.tracer.makeVariable(name);
    initial.assertLive("make a variable from");
    const v = new Variable(initial.dataId, initial.shape, initial.dtype, initial.backend, name, trainable);
    this.retain(v.dataId);
    this.variableOfData.set(v.dataId, v);
    this.liveTensors++;
    return v;
  }

  private wrap(dataId: DataId, shape: readonly number[], dtype: DType, backend: Backend): Tensor {
    const t = new Tensor(dataId, shape, dtype, backend);
    if (!this.refCounts.has(dataId)) this.countBytes(dataId, sizeOf(shape) * bytesPerElement(dtype));
    this.retain(dataId);
    this.liveTensors++;
    this.track(t);
    return t;
  }

  private countBytes(dataId: DataId, bytes: number): void {
    this.bufferBytes.set(dataId, bytes);
    this.liveBytes += bytes;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
  }

  private retain(dataId: DataId): void {
    this.refCounts.set(dataId, (this.refCounts.get(dataId) ?? 0) + 1);
  }

  private release(dataId: DataId, backend: Backend): void {
    const n = (this.refCounts.get(dataId) ?? 0) - 1;
    if (n > 0) this.refCounts.set(dataId, n);
    else {
      this.refCounts.delete(dataId);
      this.liveBytes -= this.bufferBytes.get(dataId) ?? 0;
      this.bufferBytes.delete(dataId);
      backend.disposeData(dataId);
    }
  }

  private track(t: Tensor): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.tracked.add(t);
  }

  // ---- kernels ----

  /** Runs one kernel on the backend of its inputs (or the current one) and records it for autograd. */
  runKernel<K extends KernelName>(kernel: K, inputs: readonly Tensor[], attrs: KernelAttrs[K]): Tensor[] {
    if (this.tracer) return this.traceKernel(this.tracer, kernel, inputs, attrs);
    const backend = this.backendOf(inputs, kernel);
    const specs = inferOutputs(kernel, inputs.map((t) => ({ shape: [...t.shape], dtype: t.dtype })), attrs);
    const impl = PRIMITIVE_SET.has(kernel)
      ? backend.kernels[kernel as PrimitiveKernel]
      : backend.fused[kernel as Exclude<K, PrimitiveKernel>];
    if (!impl) throw new BackendError(`backend "${backend.name}" has no kernel ${kernel}`);
    const dataIds = (impl as (i: readonly Tensor[], a: unknown, o: typeof specs) => DataId[])(inputs, attrs, specs);
    if (dataIds.length !== specs.length) {
      throw new BackendError(`backend "${backend.name}" kernel ${kernel} returned ${dataIds.length} outputs, expected ${specs.length}`);
    }
    const outputs = dataIds.map((id, i) => this.wrap(id, specs[i].shape, specs[i].dtype, backend));
    if (!NON_DIFFERENTIABLE_KERNELS.has(kernel)) this.record(kernel, attrs as Record<string, unknown>, inputs, outputs);
    return outputs;
  }

  /** A kernel call during a capture: shapes from shape inference, symbolic outputs, recorded on the tape as usual. */
  private traceKernel<K extends KernelName>(tracer: KernelTracer, kernel: K, inputs: readonly Tensor[], attrs: KernelAttrs[K]): Tensor[] {
    for (const t of inputs) t.assertLive(`use in ${kernel} a`);
    const specs = inferOutputs(kernel, inputs.map((t) => ({ shape: [...t.shape], dtype: t.dtype })), attrs);
    const dataIds = tracer.kernel(kernel, inputs, attrs as Record<string, unknown>, specs);
    const outputs = dataIds.map((id, i) => this.wrap(id, specs[i].shape, specs[i].dtype, tracer.backend));
    if (!NON_DIFFERENTIABLE_KERNELS.has(kernel)) this.record(kernel, attrs as Record<string, unknown>, inputs, outputs);
    return outputs;
  }

  /** A new tensor sharing `x`'s buffer with another shape (reshape) or the same one (identity). */
  view(x: Tensor, shape: readonly number[], kernel: "Reshape" | "Identity" = "Reshape"): Tensor {
    x.assertLive(kernel === "Reshape" ? "reshape" : "copy");
    if (sizeOf(shape) !== x.size) {
      throw new ShapeError(`reshape: cannot view ${formatShape(x.shape)} (${x.size} elements) as ${formatShape(shape)}`);
    }
    const out = this.wrap(x.dataId, shape, x.dtype, this.bufferOwner(x));
    this.record(kernel, { shape: [...shape], inputShape: [...x.shape] }, [x], [out]);
    return out;
  }

  /** The backend owning `t`'s buffer: a variable assigned during a capture holds a symbolic one. */
  private bufferOwner(t: Tensor): Backend {
    return this.tracer && this.tracer.owns(t.dataId) ? this.tracer.backend : t.backend;
  }

  private backendOf(inputs: readonly Tensor[], kernel: string): Backend {
    if (inputs.length === 0) return this.backend;
    const backend = inputs[0].backend;
    for (const t of inputs) {
      t.assertLive(`use in ${kernel} a`);
      if (t.backend !== backend) {
        throw new TensorStateError(`${kernel}: inputs live on different backends ("${backend.name}" and "${t.backend.name}"); move one with toBackend()`);
      }
    }
    return backend;
  }

  // ---- memory ----

  disposeTensor(t: Tensor): void {
    if (t.isDisposed) return;
    const dataId = t.dataId;
    if (t instanceof Variable && this.variableOfData.get(dataId) === t) this.variableOfData.delete(dataId);
    t.markDisposed();
    this.liveTensors--;
    for (const scope of this.scopes) scope.tracked.delete(t);
    this.release(dataId, t.backend);
  }

  private assignVariable(v: Variable, value: Tensor): void {
    v.assertLive("assign to");
    value.assertLive("assign from");
    if (!shapesEqual(v.shape, value.shape) || v.dtype !== value.dtype) {
      throw new ShapeError(`assign to "${v.name}": expected ${formatShape(v.shape)} ${v.dtype}, got ${formatShape(value.shape)} ${value.dtype}`);
    }
    if (this.tracer) {
      // Recorded as a graph output; the variable reads the new (symbolic) value for the rest of the capture.
      this.tracer.assign(v, value);
      const old = v.dataId;
      this.retain(value.dataId);
      v.setDataId(value.dataId);
      if (this.tracedAssignments.has(v)) this.release(old, this.tracer.backend);
      else this.tracedAssignments.set(v, old);
      return;
    }
    if (value.backend !== v.backend) throw new TensorStateError(`assign to "${v.name}": value lives on backend "${value.backend.name}", variable on "${v.backend.name}"`);
    const old = v.dataId;
    this.retain(value.dataId);
    v.setDataId(value.dataId);
    if (this.variableOfData.get(old) === v) this.variableOfData.delete(old);
    this.variableOfData.set(value.dataId, v);
    this.release(old, v.backend);
  }

  /** The live variable whose value is the buffer `dataId`, if any. */
  variableHolding(dataId: DataId): Variable | undefined {
    return this.variableOfData.get(dataId);
  }

  /** Marks `t` as owned by the caller: no scope will dispose it. */
  keep<T extends Tensor>(t: T): T {
    t.kept = true;
    for (const scope of this.scopes) scope.tracked.delete(t);
    return t;
  }

  /**
   * Runs `fn` and disposes every tensor it created, except those it returns (anywhere inside
   * arrays or plain objects) and kept ones. Returned tensors move to the enclosing scope.
   */
  tidy<T>(fn: () => T): T {
    const scope: Scope = { tracked: new Set() };
    this.scopes.push(scope);
    let result: T | undefined;
    try {
      result = fn();
      if (result instanceof Promise) throw new TensorStateError("tidy() cannot take an async function: dispose tensors explicitly across awaits");
    } finally {
      this.scopes.pop();
      const survivors = new Set<Tensor>();
      // On success, returned tensors survive; on error everything made in the scope is released.
      if (result !== undefined) collectTensors(result, survivors);
      for (const t of scope.tracked) {
        if (survivors.has(t) || t.kept) continue;
        this.disposeTensor(t);
      }
      for (const t of survivors) if (scope.tracked.has(t)) this.track(t);
    }
    return result as T;
  }

  memory(): MemoryInfo {
    return {
      numTensors: this.liveTensors,
      numBuffers: this.currentBackend ? this.currentBackend.numBuffers() : 0,
      numDataIds: this.refCounts.size,
      numBytes: this.liveBytes,
    };
  }

  /** The most `memory().numBytes` has been since the start or the last `resetPeakMemory()`. */
  peakBytes(): number {
    return this.peakLiveBytes;
  }

  /** Starts a new high-water mark for `peakBytes()` from the bytes held now. */
  resetPeakMemory(): void {
    this.peakLiveBytes = this.liveBytes;
  }

  // ---- autograd ----

  startTape(): Tape {
    const tape = new Tape();
    this.tapes.push(tape);
    return tape;
  }

  endTape(tape: Tape): void {
    const i = this.tapes.lastIndexOf(tape);
    if (i >= 0) this.tapes.splice(i, 1);
  }

  /**
   * Records `fn` on a fresh tape watching `sources`, isolated from any tape in progress (used to
   * differentiate composed fallbacks inside a backward pass). The caller disposes the tape.
   */
  recordInto<T extends Tensor[]>(sources: readonly Tensor[], fn: () => T): { tape: Tape; outputs: T } {
    const outerTapes = this.tapes.splice(0);
    const outerPause = this.tapePaused;
    const tape = new Tape();
    for (const s of sources) tape.watch(s);
    this.tapes.push(tape);
    this.tapePaused = 0;
    try {
      return { tape, outputs: fn() };
    } finally {
      this.tapes.length = 0;
      this.tapes.push(...outerTapes);
      this.tapePaused = outerPause;
    }
  }

  /** Runs `fn` without recording (gradient functions, optimizer updates). */
  noGrad<T>(fn: () => T): T {
    this.tapePaused++;
    try {
      return fn();
    } finally {
      this.tapePaused--;
    }
  }

  /**
   * Records one tape node for a computation whose gradient is `gradient` rather than a registered
   * kernel's (gradient checkpointing, custom gradients): `inputs` are every tensor it depends on that
   * may be watched, `outputs` what it returned. Nothing is recorded outside a tape or under noGrad.
   */
  recordCustom(inputs: readonly Tensor[], outputs: Tensor[], gradient: CustomGradient): void {
    this.record("Custom", { gradient }, inputs, outputs);
  }

  /**
   * Runs `fn` (under noGrad) failing on any kernel input that a tape in progress watches unless its id
   * is in `allowed`: a checkpointed function must declare every such tensor, or its gradient would be lost.
   */
  guardReads<T>(allowed: ReadonlySet<number>, what: string, fn: () => T): T {
    const previous = this.readGuard;
    this.readGuard = { allowed, what };
    try {
      return this.noGrad(fn);
    } finally {
      this.readGuard = previous;
    }
  }

  private readGuard: { allowed: ReadonlySet<number>; what: string } | undefined;

  private record(kernel: TapeKernel, attrs: Record<string, unknown>, inputs: readonly Tensor[], outputs: Tensor[]): void {
    if (this.readGuard && this.tapes.length > 0) {
      const { allowed, what } = this.readGuard;
      for (const t of inputs) {
        if (!allowed.has(t.id) && this.tapes.some((tape) => tape.isWatched(t))) {
          throw new TensorStateError(`${what}: ${kernel} reads tensor #${t.id} ${formatShape(t.shape)}${t instanceof Variable ? ` "${t.name}"` : ""}, which gradients flow to, but it is not one of the declared inputs or captured tensors`);
        }
      }
    }
    if (this.tapes.length === 0 || this.tapePaused > 0) return;
    for (const tape of this.tapes) {
      if (!tape.dependsOnWatched(inputs)) continue;
      const diffOutputs = outputs.filter((o) => o.dtype === "f32");
      if (diffOutputs.length === 0) continue;
      const saves = savedTensorsOf(kernel);
      const keep = (t: Tensor, i: number, which: readonly number[] | "all" | undefined) => (!which || which === "all" || which.includes(i) ? this.untrackedView(t) : shapeStub(t));
      tape.push({
        kernel,
        attrs,
        inputIds: inputs.map((t) => t.id),
        outputIds: outputs.map((t) => t.id),
        inputs: inputs.map((t, i) => keep(t, i, saves?.inputs)),
        outputs: outputs.map((t, i) => keep(t, i, saves?.outputs)),
      });
    }
  }

  /** A view the tape owns: outside every scope, released by Tape.dispose. */
  private untrackedView(t: Tensor): Tensor {
    const v = new Tensor(t.dataId, t.shape, t.dtype, this.bufferOwner(t));
    this.retain(t.dataId);
    this.liveTensors++;
    v.kept = true;
    return v;
  }
}

/** A tensor's shape and dtype without its buffer (a released view: reading it fails). */
function shapeStub(t: Tensor): Tensor {
  const stub = new Tensor(t.dataId, t.shape, t.dtype, t.backend);
  stub.markDisposed();
  stub.kept = true;
  return stub;
}

function collectTensors(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== "object") return;
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, out, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    for (const v of Object.values(value as Record<string, unknown>)) collectTensors(v, out, depth + 1);
  }
}

/** The process-wide engine. */
export const engine = new Engine();
