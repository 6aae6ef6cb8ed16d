/**
 * Builds one ONNX model (opset 18, plus ORT's com.microsoft contrib domain) with onnx-proto: graph
 * inputs, initializers for constants, nodes with typed attributes, outputs, and unique value names.
 */
import type { DType, TypedArray } from "@r1ts/core";
import { onnx } from "./proto.ts";
import type { OnnxTypes } from "./proto.ts";
import { FLOAT, INT32, INT64, ONNX_TYPE } from "./dtypes.ts";

export const OPSET = 18;
export const MS_DOMAIN = "com.microsoft";

export type AttrValue = number | string | number[] | { floats: number[] } | { float: number } | { tensor: OnnxTypes.ITensorProto };

const A = onnx.AttributeProto.AttributeType;

function attribute(name: string, value: AttrValue): OnnxTypes.IAttributeProto {
  if (typeof value === "number") return Number.isInteger(value) ? { name, type: A.INT, i: value } : { name, type: A.FLOAT, f: value };
  if (typeof value === "string") return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value };
  if ("floats" in value) return { name, type: A.FLOATS, floats: value.floats };
  if ("float" in value) return { name, type: A.FLOAT, f: value.float };
  return { name, type: A.TENSOR, t: value.tensor };
}

function valueInfo(name: string, elemType: number, shape: readonly number[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function rawBytes(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private counter = 0;
  private readonly scalars = new Map<string, string>();
  usesContribOps = false;

  constructor(readonly name: string) {}

  /** A fresh value name. */
  fresh(hint = "t"): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, dtype: DType, shape: readonly number[]): string {
    this.inputs.push(valueInfo(name, ONNX_TYPE[dtype], shape));
    return name;
  }

  output(name: string, dtype: DType, shape: readonly number[]): void {
    this.outputs.push(valueInfo(name, ONNX_TYPE[dtype], shape));
  }

  /** Adds a node; returns its output names (fresh unless given). */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}, options: { outputs?: number | string[]; domain?: string } = {}): string[] {
    const outs = Array.isArray(options.outputs) ? options.outputs : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    const attribute_ = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => attribute(k, v as AttrValue));
    if (options.domain === MS_DOMAIN) this.usesContribOps = true;
    this.nodes.push({ opType, input: [...inputs], output: outs, attribute: attribute_, domain: options.domain ?? "", name: this.fresh("node") });
    return outs;
  }

  /** One-output node. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}, domain?: string): string {
    return this.node(opType, inputs, attrs, { domain })[0];
  }

  /** A constant tensor (an initializer) of a core dtype. */
  constant(values: TypedArray, dtype: DType, shape: readonly number[], name = this.fresh("const")): string {
    this.initializers.push({ name, dataType: ONNX_TYPE[dtype], dims: [...shape], rawData: rawBytes(values) });
    return name;
  }

  /** An int64 constant (shapes, axes, pads, k); cached by value. */
  int64s(values: readonly number[], shape: readonly number[] = [values.length]): string {
    return this.cached(`i64:${shape}:${values}`, () => this.constantOf(BigInt64Array.from(values.map((v) => BigInt(v))), INT64, shape));
  }

  int64(value: number): string {
    return this.int64s([value], []);
  }

  /** An f32 scalar (or small tensor) constant; cached by value. */
  f32(value: number | readonly number[], shape: readonly number[] = typeof value === "number" ? [] : [value.length]): string {
    const list = typeof value === "number" ? [value] : [...value];
    return this.cached(`f32:${shape}:${list.map((v) => Object.is(v, -0) ? "-0" : String(v))}`, () => this.constantOf(Float32Array.from(list), FLOAT, shape));
  }

  i32(value: number | readonly number[], shape: readonly number[] = typeof value === "number" ? [] : [value.length]): string {
    const list = typeof value === "number" ? [value] : [...value];
    return this.cached(`i32:${shape}:${list}`, () => this.constantOf(Int32Array.from(list), INT32, shape));
  }

  /** A constant of a raw ONNX element type. */
  constantOf(values: ArrayBufferView, elemType: number, shape: readonly number[], name = this.fresh("const")): string {
    this.initializers.push({ name, dataType: elemType, dims: [...shape], rawData: rawBytes(values) });
    return name;
  }

  private cached(key: string, make: () => string): string {
    let name = this.scalars.get(key);
    if (!name) {
      name = make();
      this.scalars.set(key, name);
    }
    return name;
  }

  /**
   * Renames a value produced by a node of this graph (every use included), so it can be a graph output
   * without an Identity copy. False when `name` is not a node's output.
   */
  renameNodeOutput(name: string, to: string): boolean {
    const producer = this.nodes.find((n) => n.output?.includes(name));
    if (!producer) return false;
    for (const n of this.nodes) {
      if (n.output) n.output = n.output.map((o) => (o === name ? to : o));
      if (n.input) n.input = n.input.map((i) => (i === name ? to : i));
    }
    return true;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The serialised ModelProto. */
  encode(): Uint8Array {
    const opsetImport: OnnxTypes.IOperatorSetIdProto[] = [{ domain: "", version: OPSET }];
    if (this.usesContribOps) opsetImport.push({ domain: MS_DOMAIN, version: 1 });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "r1ts",
      opsetImport,
      graph: { name: this.name.replace(/[^\w.-]+/g, "_").slice(0, 120) || "graph", node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
