/**
 * The tracer: the engine hands it every kernel call, constant and variable assignment of a capture.
 * Values it makes live on a symbolic backend whose buffers hold no data: reading one back to the host
 * fails with a CaptureError naming the kernel that produced it.
 */
import type { Backend, DataId, FusedKernelImpls, PrimitiveKernelImpls } from "../backend/backend.ts";
import type { KernelName } from "../backend/kernels.ts";
import { PRIMITIVE_KERNELS } from "../backend/kernels.ts";
import type { TensorSpec } from "../backend/shape-inference.ts";
import type { DType, TypedArray } from "../tensor/dtype.ts";
import type { KernelTracer } from "../tensor/engine.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape, shapesEqual } from "../tensor/shape.ts";
import { type Tensor, Variable } from "../tensor/tensor.ts";
import { CaptureError } from "./errors.ts";
import type { Trace, TraceAssignment, TraceConstant, TraceInput, TraceNode, TraceValue } from "./trace.ts";

/** A buffer of the symbolic backend: just the id of a graph value. */
export class SymbolicData {
  constructor(readonly value: number) {}
}

export class Tracer implements KernelTracer {
  readonly backend: Backend;
  private readonly values: TraceValue[] = [];
  private readonly inputs: TraceInput[] = [];
  private readonly constants: TraceConstant[] = [];
  private readonly nodes: TraceNode[] = [];
  /** Who made each value (for error messages): a node index, or an input / constant description. */
  private readonly origin = new Map<number, string>();
  /** Inputs from real buffers (variables, captured tensors), by buffer. */
  private readonly external = new Map<DataId, number>();
  /** Reshaped views already in the graph: `${value}:${shape}` -> value. */
  private readonly reshapes = new Map<string, number>();
  private readonly assigned = new Map<Variable, number>();
  private readonly owned = new Set<SymbolicData>();
  /** Tensors the compiled function holds to feed captured inputs on later runs. */
  readonly held: Tensor[] = [];
  /** The first host read attempted inside the capture (reported if the function turns out async). */
  firstHostRead: CaptureError | undefined;

  constructor(
    readonly target: Backend,
    private readonly label: string,
  ) {
    const fail = (what: string) => () => {
      throw new CaptureError(`${label}: ${what} inside a compiled function`);
    };
    const kernels = Object.fromEntries(PRIMITIVE_KERNELS.map((k) => [k, fail(`kernel ${k} ran directly`)])) as unknown as PrimitiveKernelImpls;
    // The same fused kernels as the target, so ops pick the path they will take when the graph runs.
    const fused = Object.fromEntries(Object.keys(target.fused).map((k) => [k, fail(`fused kernel ${k} ran directly`)])) as Partial<FusedKernelImpls>;
    this.backend = {
      name: `capture(${target.name})`,
      write: fail("a buffer was written"),
      read: (dataId) => this.hostRead(dataId, "await tensor.data()"),
      readSync: (dataId) => this.hostRead(dataId, "tensor.dataSync()"),
      disposeData: () => {},
      numBuffers: () => 0,
      kernels,
      fused,
    };
  }

  owns(dataId: DataId): boolean {
    return dataId instanceof SymbolicData && this.owned.has(dataId);
  }

  kernel(kernel: KernelName, inputs: readonly Tensor[], attrs: Record<string, unknown>, outputs: readonly TensorSpec[]): DataId[] {
    const ins = inputs.map((t) => this.valueOf(t));
    const outs = outputs.map((spec) => this.newValue(spec.shape, spec.dtype, `the output of kernel ${kernel} (node ${this.nodes.length})`));
    this.nodes.push({ kernel, attrs: { ...attrs }, inputs: ins, outputs: outs });
    return outs.map((v) => this.symbolic(v));
  }

  constant(values: TypedArray, shape: readonly number[], dtype: DType): DataId {
    const v = this.newValue(shape, dtype, `a constant ${formatShape(shape)} made inside the function`);
    if (values.length > 1 && values.every((x) => Object.is(x, values[0]))) this.constants.push({ value: v, values: values.slice(0, 1), splat: true });
    else this.constants.push({ value: v, values });
    return this.symbolic(v);
  }

  assign(variable: Variable, value: Tensor): void {
    if (!shapesEqual(variable.shape, value.shape) || variable.dtype !== value.dtype) {
      throw new CaptureError(`${this.label}: assign to "${variable.name}": expected ${formatShape(variable.shape)} ${variable.dtype}, got ${formatShape(value.shape)} ${value.dtype}`);
    }
    this.assigned.set(variable, this.valueOf(value));
  }

  makeVariable(name: string): never {
    throw new CaptureError(`${this.label}: variable "${name}" was created inside a compiled function; create variables (model weights, optimizer state) before the first call`);
  }

  /** Declares the function's tensor arguments as the first inputs; returns their symbolic tensors. */
  argument(index: number, shape: readonly number[], dtype: DType): Tensor {
    const v = this.newValue(shape, dtype, `argument ${index}`);
    this.inputs.push({ value: v, name: `arg${index}`, source: { kind: "argument", index } });
    return engine.adoptData(this.symbolic(v), shape, dtype, this.backend);
  }

  /** The graph value a tensor of the function's result (or any tensor) stands for. */
  valueOf(t: Tensor): number {
    t.assertLive("capture");
    const dataId = t.dataId;
    const base = dataId instanceof SymbolicData && this.owned.has(dataId) ? dataId.value : this.externalInput(t);
    return this.reshaped(base, t.shape);
  }

  finish(outputs: readonly number[]): Trace {
    const assignments: TraceAssignment[] = [...this.assigned].map(([variable, value]) => ({ variable, value }));
    return { values: this.values, inputs: this.inputs, constants: this.constants, nodes: this.nodes, outputs, assignments };
  }

  private externalInput(t: Tensor): number {
    const dataId = t.dataId;
    const known = this.external.get(dataId);
    if (known !== undefined) return known;
    if (t.backend !== this.target) {
      throw new CaptureError(`${this.label}: tensor #${t.id} ${formatShape(t.shape)} lives on backend "${t.backend.name}", the function runs on "${this.target.name}"; move it with toBackend()`);
    }
    let input: TraceInput;
    // A view of a variable (a reshaped weight) stands for the variable: its value at every run, not at the trace.
    const variable = t instanceof Variable ? t : engine.variableHolding(dataId);
    if (variable && !variable.isDisposed) {
      const v = this.newValue(variable.shape, variable.dtype, `variable "${variable.name}"`);
      input = { value: v, name: variable.name, source: { kind: "variable", variable } };
    } else {
      // A tensor made before the capture: immutable, so the compiled function keeps a view and feeds it on every run.
      const view = engine.keep(engine.noGrad(() => engine.view(t, t.shape, "Identity")));
      this.held.push(view);
      const v = this.newValue(t.shape, t.dtype, `tensor #${t.id} captured from outside the function`);
      input = { value: v, name: `captured${this.held.length - 1}`, source: { kind: "captured", tensor: view, origin: t } };
    }
    this.inputs.push(input);
    this.external.set(dataId, input.value);
    return input.value;
  }

  private reshaped(value: number, shape: readonly number[]): number {
    const v = this.values[value];
    if (shapesEqual(v.shape, shape)) return value;
    const key = `${value}:${shape.join(",")}`;
    const known = this.reshapes.get(key);
    if (known !== undefined) return known;
    const out = this.newValue(shape, v.dtype, `a reshape of value ${value} (node ${this.nodes.length})`);
    this.nodes.push({ kernel: "Reshape", attrs: { shape: [...shape] }, inputs: [value], outputs: [out] });
    this.reshapes.set(key, out);
    return out;
  }

  private newValue(shape: readonly number[], dtype: DType, origin: string): number {
    const id = this.values.length;
    this.values.push({ id, shape: [...shape], dtype });
    this.origin.set(id, origin);
    return id;
  }

  private symbolic(value: number): SymbolicData {
    const d = new SymbolicData(value);
    this.owned.add(d);
    return d;
  }

  private hostRead(dataId: DataId, how: string): never {
    const value = dataId instanceof SymbolicData ? dataId.value : -1;
    const v = this.values[value];
    const what = v ? `${formatShape(v.shape)} ${v.dtype}, ${this.origin.get(value)}` : "a symbolic value";
    const error = new CaptureError(
      `${this.label}: host read inside a compiled function: ${how} on ${what}. A captured function computes nothing while it is traced: return the tensor and read it after the call.`,
    );
    this.firstHostRead ??= error;
    throw error;
  }
}
