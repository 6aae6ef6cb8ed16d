/**
 * Tensor: an n-dimensional array on one backend. Its buffer is shared by reference-counted views
 * (reshape, clone); `dispose()` releases this view, and the buffer goes when its last view does.
 */
import { TensorStateError } from "../errors.ts";
import type { Backend, DataId, TensorInfo } from "../backend/backend.ts";
import type { DType, TypedArray } from "./dtype.ts";
import { formatShape, sizeOf } from "./shape.ts";

/** What a tensor needs from the engine (set by the engine at start-up; avoids an import cycle). */
export interface TensorHost {
  disposeTensor(t: Tensor): void;
  assignVariable(v: Variable, value: Tensor): void;
}

let host: TensorHost | null = null;
export function setTensorHost(h: TensorHost): void {
  host = h;
}

let nextTensorId = 0;

export class Tensor implements TensorInfo {
  /** Unique per tensor object (views of one buffer have different ids). */
  readonly id = nextTensorId++;
  readonly shape: readonly number[];
  readonly size: number;
  protected _dataId: DataId;
  protected _disposed = false;
  /** Kept tensors are not disposed by the scope they were made in (parameters, optimizer state). */
  kept = false;

  constructor(
    dataId: DataId,
    shape: readonly number[],
    readonly dtype: DType,
    readonly backend: Backend,
  ) {
    this._dataId = dataId;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
  }

  get dataId(): DataId {
    this.assertLive("read the buffer of");
    return this._dataId;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Called by the engine only. */
  markDisposed(): void {
    this._disposed = true;
  }

  assertLive(action: string): void {
    if (this._disposed) {
      throw new TensorStateError(`cannot ${action} tensor #${this.id} ${formatShape(this.shape)} ${this.dtype}: it was disposed`);
    }
  }

  /** Values in row-major order (a copy). For storage dtypes, the raw bit patterns. */
  async data(): Promise<TypedArray> {
    this.assertLive("read");
    return this.backend.read(this._dataId, this.dtype);
  }

  /** Values now; only on backends with host-side buffers (reference, tfjs-cpu). */
  dataSync(): TypedArray {
    this.assertLive("read");
    if (!this.backend.readSync) {
      throw new TensorStateError(`backend "${this.backend.name}" reads asynchronously: use await tensor.data()`);
    }
    return this.backend.readSync(this._dataId, this.dtype);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new TensorStateError(`item() needs a one-element tensor, got shape ${formatShape(this.shape)}`);
    return (await this.data())[0];
  }

  itemSync(): number {
    if (this.size !== 1) throw new TensorStateError(`itemSync() needs a one-element tensor, got shape ${formatShape(this.shape)}`);
    return this.dataSync()[0];
  }

  /** Nested JS arrays (numbers), for printing and tests. */
  async array(): Promise<unknown> {
    return nest(Array.from(await this.data()), this.shape);
  }

  dispose(): void {
    if (this._disposed) return;
    if (!host) throw new TensorStateError("no engine");
    host.disposeTensor(this);
  }

  toString(): string {
    return `Tensor#${this.id}(${formatShape(this.shape)}, ${this.dtype}, ${this.backend.name}${this._disposed ? ", disposed" : ""})`;
  }
}

/** A named, mutable tensor (a parameter or optimizer state). `assign` swaps its buffer in place. */
export class Variable extends Tensor {
  constructor(
    dataId: DataId,
    shape: readonly number[],
    dtype: DType,
    backend: Backend,
    readonly name: string,
    public trainable = true,
  ) {
    super(dataId, shape, dtype, backend);
    this.kept = true;
  }

  /** Replaces the value; `value` must have the same shape and dtype, and remains owned by the caller. */
  assign(value: Tensor): void {
    if (!host) throw new TensorStateError("no engine");
    host.assignVariable(this, value);
  }

  /** Engine only: swap the buffer. */
  setDataId(dataId: DataId): void {
    this._dataId = dataId;
  }
}

function nest(flat: number[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  const [d, ...rest] = shape;
  const stride = sizeOf(rest);
  return Array.from({ length: d }, (_, i) => nest(flat.slice(i * stride, (i + 1) * stride), rest));
}
